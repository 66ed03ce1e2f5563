package main

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// stat sums up the runs of one benchmark: the fastest time (interference
// from other work on the machine only ever adds time, so the minimum is the
// least disturbed estimate) and the median bytes and allocations.
type stat struct {
	Ns, Bytes, Allocs float64
	Runs              int
}

var (
	benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+(.*)$`)
	procs     = regexp.MustCompile(`-\d+$`)
)

// parse reads `go test -bench -benchmem` output and returns the stat of
// every benchmark, keyed by its name without the GOMAXPROCS suffix.
func parse(output []byte) map[string]stat {
	type runs struct{ ns, bytes, allocs []float64 }
	all := map[string]*runs{}
	for _, line := range strings.Split(string(output), "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		name := procs.ReplaceAllString(m[1], "")
		r := all[name]
		if r == nil {
			r = &runs{}
			all[name] = r
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				r.ns = append(r.ns, v)
			case "B/op":
				r.bytes = append(r.bytes, v)
			case "allocs/op":
				r.allocs = append(r.allocs, v)
			}
		}
	}
	out := make(map[string]stat, len(all))
	for name, r := range all {
		if len(r.ns) == 0 {
			continue
		}
		out[name] = stat{Ns: minimum(r.ns), Bytes: median(r.bytes), Allocs: median(r.allocs), Runs: len(r.ns)}
	}
	return out
}

func minimum(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = min(m, x)
	}
	return m
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
