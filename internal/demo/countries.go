package demo

// defaultCountries lists where the users of a global exchange sign in from,
// weighted by their share of users; cities by their share within the
// country. Mobile ranges are blocks in which every number is a valid mobile
// under libphonenumber (mobile_test.go checks each one with phone.ParseE164),
// and none of them holds a named account's number.
func defaultCountries() []Country {
	return []Country{
		{"IN", 0.12, cities("Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Chennai", "Pune", "Kolkata"),
			[]byte{49, 103, 106, 117, 122, 223}, MobileRange{"+919", 9, 0, 1_000_000_000}},
		{"VN", 0.09, cities("Ho Chi Minh City", "Hanoi", "Da Nang", "Hai Phong"),
			[]byte{14, 27, 113, 116, 171}, MobileRange{"+8490", 7, 0, 10_000_000}},
		{"TR", 0.08, cities("Istanbul", "Ankara", "Izmir", "Antalya", "Bursa"),
			[]byte{78, 88, 176, 185}, MobileRange{"+9053", 8, 0, 100_000_000}},
		{"ID", 0.08, cities("Jakarta", "Surabaya", "Bandung", "Medan"),
			[]byte{36, 114, 180, 182}, MobileRange{"+62812", 8, 0, 100_000_000}},
		{"NG", 0.07, cities("Lagos", "Abuja", "Port Harcourt", "Ibadan"),
			[]byte{41, 102, 105, 197}, MobileRange{"+23480", 8, 10_000_000, 90_000_000}},
		{"BR", 0.07, cities("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Brasília", "Curitiba"),
			[]byte{177, 179, 187, 189, 191, 201}, MobileRange{"+55119", 8, 0, 100_000_000}},
		{"PH", 0.06, cities("Quezon City", "Manila", "Cebu City", "Davao City"),
			[]byte{112, 119, 120, 136, 175}, MobileRange{"+63917", 7, 0, 10_000_000}},
		{"DE", 0.05, cities("Berlin", "Munich", "Hamburg", "Frankfurt", "Cologne"),
			[]byte{46, 77, 79, 84, 87, 91}, MobileRange{"+49151", 8, 0, 100_000_000}},
		{"GB", 0.05, cities("London", "Manchester", "Birmingham", "Leeds", "Glasgow"),
			[]byte{5, 31, 51, 81, 86, 90}, MobileRange{"+4471", 8, 0, 100_000_000}},
		{"UA", 0.05, cities("Kyiv", "Kharkiv", "Odesa", "Lviv", "Dnipro"),
			[]byte{31, 46, 91, 93, 176, 178}, MobileRange{"+38067", 7, 0, 10_000_000}},
		{"TH", 0.04, cities("Bangkok", "Chiang Mai", "Phuket", "Pattaya"),
			[]byte{1, 49, 58, 110, 124, 184}, MobileRange{"+668", 8, 0, 100_000_000}},
		// Singapore's 8xxx xxxx block, without 8000 and 89xx, which are not
		// all allocated.
		{"SG", 0.04, cities("Singapore"),
			[]byte{101, 116, 118, 138, 165, 175}, MobileRange{"+658", 7, 1_000_000, 8_000_000}},
		{"AE", 0.04, cities("Dubai", "Abu Dhabi", "Sharjah"),
			[]byte{2, 5, 86, 94, 185}, MobileRange{"+97150", 7, 0, 10_000_000}},
		{"ES", 0.03, cities("Madrid", "Barcelona", "Valencia", "Seville"),
			[]byte{2, 31, 80, 83, 88, 95}, MobileRange{"+346", 8, 0, 100_000_000}},
		{"MX", 0.03, cities("Mexico City", "Guadalajara", "Monterrey"),
			[]byte{177, 187, 189, 200, 201}, MobileRange{"+5255", 8, 0, 100_000_000}},
		{"PL", 0.03, cities("Warsaw", "Kraków", "Wrocław", "Gdańsk"),
			[]byte{31, 37, 78, 83, 89, 178}, MobileRange{"+4850", 7, 0, 10_000_000}},
	}
}

// cities weights a country's cities in the order given: the first (largest)
// carries the most sign-ins.
func cities(names ...string) []City {
	cs := make([]City, len(names))
	for i, n := range names {
		cs[i] = City{n, zipf(i + 1)}
	}
	return cs
}
