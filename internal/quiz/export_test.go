package quiz

// The probes' SQL, for the plan test.
const (
	ProductsSQL         = productsSQL
	OrderTypesSQL       = orderTypesSQL
	UnknownOrderTypeSQL = unknownOrderTypeSQL
)

// UniformOdds is a question's odds when nothing tells its 8 options apart,
// without the margin.
func UniformOdds(k Kind, facts int) float64 {
	d := draft{Kind: k, Facts: facts}
	for i := range OptionsPerQuestion {
		d.Options = append(d.Options, Option{Value: string(rune('a' + i))})
	}
	return d.odds(estimates{}, make([]int, len(d.Options))) / margin
}

// EstimatesStarted returns how many base-rate estimates s has started.
func EstimatesStarted(s *Service) int {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.runs
}
