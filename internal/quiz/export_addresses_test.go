package quiz

// For the address tests of package quiz_test, which use the demo
// population (package demo imports quiz).
var (
	AddressOptions = addressOptions
	DrawCorrect    = drawCorrect
)
