package indicator_test

import (
	"fmt"

	"github.com/papertrade/papertrade/strategy/indicator"
)

func ExampleSMA() {
	sma := indicator.NewSMA(3)
	for _, x := range []float64{10, 11, 12, 13, 14} {
		sma.Update(x)
		if !sma.Ready() {
			fmt.Printf("%g: warming up\n", x)
			continue
		}
		fmt.Printf("%g: SMA(3) = %g\n", x, sma.Value())
	}
	// Output:
	// 10: warming up
	// 11: warming up
	// 12: SMA(3) = 11
	// 13: SMA(3) = 12
	// 14: SMA(3) = 13
}

func ExampleBollinger() {
	bb := indicator.NewBollinger(4, 2)
	for _, x := range []float64{100, 102, 98, 100, 104} {
		bb.Update(x)
	}
	fmt.Printf("lower %.3f middle %.3f upper %.3f\n", bb.Lower(), bb.Middle(), bb.Upper())
	fmt.Printf("%%B of 97: %.3f\n", bb.PercentB(97))
	// Output:
	// lower 96.528 middle 101.000 upper 105.472
	// %B of 97: 0.053
}

func ExampleDonchian() {
	ch := indicator.NewDonchian(3)
	bars := [][2]float64{{10, 8}, {12, 9}, {11, 7}, {15, 10}}
	for i, b := range bars {
		// A breakout compares a bar with the channel of the bars before it.
		if ch.Ready() && b[0] > ch.Upper() {
			fmt.Printf("bar %d: high %g breaks out above %g\n", i, b[0], ch.Upper())
		}
		ch.Update(b[0], b[1])
	}
	// Output:
	// bar 3: high 15 breaks out above 12
}
