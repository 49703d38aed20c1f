// Command papertrade is the papertrade CLI: paper-trading bots on Kraken. See the README, or
// run `papertrade --help`.
package main

import "github.com/papertrade/papertrade/cmd/cli"

func main() { cli.Main(nil) }
