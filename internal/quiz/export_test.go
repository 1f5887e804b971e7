package quiz

// The probes' SQL, for the plan test.
const (
	ProductsSQL         = productsSQL
	OrderTypesSQL       = orderTypesSQL
	UnknownOrderTypeSQL = unknownOrderTypeSQL
)
