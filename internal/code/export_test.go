package code

// Generate exposes the generator to the uniformity test.
func Generate() string {
	c, err := generate()
	if err != nil {
		panic(err)
	}
	return c
}
