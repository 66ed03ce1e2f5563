// Command report runs the cross-ORM benchmarks of the bench module and
// rewrites docs/performance.md with their results.
//
// Run it from the bench directory:
//
//	go run ./cmd/report                 # full run (5-8 minutes, with the machine's load)
//	go run ./cmd/report -quick          # a few iterations each, to try it out
//	go run ./cmd/report -in results.txt # re-render from a saved run
//
// It compiles the benchmarks once (go test -c), runs the passes listed in
// passes (the standard operations, the unit-of-work scenarios, the
// 1,000 × 10 preload, the 100k bulk loads) with -benchmem, saves the raw output (-raw), parses it, asks
// each database server for its version, and writes the Markdown file
// (-out). Every ratio in the file compares two benchmarks of the same run.
// Sections of the old file named in keptSections (figures of benchmarks
// this command does not run) are carried over unchanged.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// pass is one run of the test binary.
type pass struct {
	bench     string // -test.bench pattern
	benchtime string
	count     int
}

// passes are the benchmark runs of a full report. Each pass repeats its
// whole tree of benchmarks (-count), so the runs of one entrant are spread
// over minutes and a burst of other work on the machine rarely hits all of
// them; the tables keep the fastest run.
var passes = []pass{
	{bench: "^BenchmarkCRUD$", benchtime: "0.25s", count: 5},
	{bench: "^BenchmarkUoW$", benchtime: "0.3s", count: 4},
	{bench: "^BenchmarkPreload(Peers)?$", benchtime: "5x", count: 3},
	{bench: "^BenchmarkBulkInsert$", benchtime: "2x", count: 2},
}

// quickPasses try the whole pipeline in well under a minute.
var quickPasses = []pass{
	{bench: "^BenchmarkCRUD$", benchtime: "20x", count: 1},
	{bench: "^BenchmarkUoW$", benchtime: "3x", count: 1},
	{bench: "^BenchmarkPreload(Peers)?$", benchtime: "1x", count: 1},
	{bench: "^BenchmarkBulkInsert$", benchtime: "1x", count: 1},
}

func main() {
	out := flag.String("out", "../docs/performance.md", "Markdown file to write")
	in := flag.String("in", "", "parse this saved benchmark output instead of running the benchmarks")
	raw := flag.String("raw", "results.txt", "file to save the raw benchmark output to (empty: do not save)")
	quick := flag.Bool("quick", false, "few iterations per benchmark, to try the pipeline")
	flag.Parse()
	if err := run(*out, *in, *raw, *quick); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(out, in, raw string, quick bool) error {
	ctx := context.Background()
	info := runInfo{Started: time.Now().UTC(), LoadBefore: loadAvg(), Commit: gitCommit()}
	var output []byte
	var err error
	if in != "" {
		if output, err = os.ReadFile(in); err != nil {
			return err
		}
		headerOf(output, &info)
	} else {
		ps := passes
		if quick {
			ps = quickPasses
		}
		output, info.Commands, err = runPasses(ctx, ps)
		info.Elapsed = time.Since(info.Started).Round(time.Second)
		info.LoadAfter = loadAvg()
		if raw != "" {
			header := savedHeader(info)
			if werr := os.WriteFile(raw, append([]byte(header), output...), 0o644); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
	}
	res := parse(output)
	if len(res) == 0 {
		return fmt.Errorf("no benchmark results in the output")
	}
	info.Machine = machine(ctx, output)
	info.Peers = peerVersions("go.mod")
	old, _ := os.ReadFile(out)
	doc := render(res, info, keep(string(old)))
	return os.WriteFile(out, []byte(doc), 0o644)
}

// runPasses compiles the benchmarks and runs every pass, echoing the output.
func runPasses(ctx context.Context, ps []pass) ([]byte, []string, error) {
	dir, err := os.MkdirTemp("", "sqlmodel-bench")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bench.test")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	fmt.Println("+ go test -c -o bench.test .")
	if err := build.Run(); err != nil {
		return nil, nil, fmt.Errorf("compile the benchmarks: %w", err)
	}
	var all bytes.Buffer
	var cmds []string
	for _, p := range ps {
		args := []string{"-test.run", "^$", "-test.bench", p.bench, "-test.benchtime", p.benchtime,
			"-test.count", fmt.Sprint(p.count), "-test.benchmem", "-test.timeout", "30m"}
		cmds = append(cmds, fmt.Sprintf("go test -run '^$' -bench '%s' -benchtime %s -count %d -benchmem -timeout 30m",
			p.bench, p.benchtime, p.count))
		fmt.Println("+", cmds[len(cmds)-1])
		c := exec.CommandContext(ctx, bin, args...)
		c.Stdout = io.MultiWriter(os.Stdout, &all)
		c.Stderr = io.MultiWriter(os.Stderr, &all)
		if err := c.Run(); err != nil {
			return all.Bytes(), cmds, fmt.Errorf("%s: %w", cmds[len(cmds)-1], err)
		}
	}
	return all.Bytes(), cmds, nil
}

// runInfo describes one run, for the header of the document.
type runInfo struct {
	Started               time.Time
	Elapsed               time.Duration
	LoadBefore, LoadAfter string
	Commands              []string
	Machine               []string
	Peers                 map[string]string
	Commit                string
}

// savedHeader is written at the top of the raw output file so that -in can
// render the same document later.
func savedHeader(info runInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# started: %s\n# elapsed: %s\n# load before: %s\n# load after: %s\n# commit: %s\n",
		info.Started.Format(time.RFC3339), info.Elapsed, info.LoadBefore, info.LoadAfter, info.Commit)
	for _, c := range info.Commands {
		fmt.Fprintf(&b, "# command: %s\n", c)
	}
	return b.String()
}

// headerOf reads what savedHeader wrote back into info.
func headerOf(output []byte, info *runInfo) {
	for _, line := range strings.Split(string(output), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "# "), ": ")
		if !ok || !strings.HasPrefix(line, "# ") {
			continue
		}
		switch k {
		case "started":
			info.Started, _ = time.Parse(time.RFC3339, v)
		case "elapsed":
			info.Elapsed, _ = time.ParseDuration(v)
		case "load before":
			info.LoadBefore = v
		case "load after":
			info.LoadAfter = v
		case "commit":
			info.Commit = v
		case "command":
			info.Commands = append(info.Commands, v)
		}
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// gitCommit names the commit of the working tree, marked when it has
// uncommitted changes.
func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", "..").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

// peerVersions reads the pinned versions of the peers and drivers from
// go.mod.
func peerVersions(path string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimSpace(line))
		if len(f) >= 2 && strings.Contains(f[0], ".") && strings.HasPrefix(f[1], "v") {
			out[f[0]] = f[1]
		}
	}
	return out
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
