// The Go side of scripts/erasure-anchor.sh: klauspost/reedsolomon, as Debian packages it, measured the
// way benchmarks/Erasure/ErasureCpuTimeProbe.cs measures Overlay.Erasure, and a writer of cross-check
// cases that `Overlay.Benchmarks.dll erasure-crosscheck DIR` compares with Overlay.Erasure.
//
//	erasure-anchor bench            one tab-separated line per figure (GB/s of data, median of 9 batches by CPU time)
//	erasure-anchor crosscheck DIR   writes the cases into DIR
package main

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"

	"github.com/klauspost/reedsolomon"
)

const batches = 9

func main() {
	if len(os.Args) == 2 && os.Args[1] == "bench" {
		bench()
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "crosscheck" {
		if err := crosscheck(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "erasure-anchor:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "usage: erasure-anchor bench | crosscheck DIR")
	os.Exit(2)
}

// cpuSeconds is the process's user + system CPU time, as .NET's Process.TotalProcessorTime reports it.
func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		panic(err)
	}
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}

// measure returns GB/s of data per batch; the first timed run sizes batches to about 50 ms of CPU time.
func measure(dataBytes int, operation func()) []float64 {
	for i := 0; i < 20; i++ {
		operation()
	}
	run := func(n int) float64 {
		start := cpuSeconds()
		for i := 0; i < n; i++ {
			operation()
		}
		return cpuSeconds() - start
	}
	iterations := 16
	seconds := run(iterations)
	if seconds < 1e-6 {
		seconds = 1e-6
	}
	iterations = int(float64(iterations) * 0.05 / seconds)
	if iterations < 1 {
		iterations = 1
	}
	rates := make([]float64, batches)
	for b := range rates {
		rates[b] = float64(dataBytes) * float64(iterations) / run(iterations) / 1e9
	}
	sort.Float64s(rates)
	return rates
}

// stripe lays k+m shards in one buffer, gap bytes apart, as the .NET probe does.
func stripe(k, m, shardBytes, gap int) [][]byte {
	stride := shardBytes + gap
	buffer := make([]byte, (k+m)*stride)
	shards := make([][]byte, k+m)
	for i := range shards {
		shards[i] = buffer[i*stride : i*stride+shardBytes : i*stride+shardBytes]
	}
	random := rand.New(rand.NewSource(42))
	for i := 0; i < k; i++ {
		random.Read(shards[i])
	}
	return shards
}

func bench() {
	const k, m = 10, 4
	for _, shardBytes := range []int{64 * 1024, 1024 * 1024} {
		for _, gap := range []int{64, 0} {
			// One goroutine: the figures are single-core, like the .NET probe's.
			enc, err := reedsolomon.New(k, m, reedsolomon.WithMaxGoroutines(1))
			if err != nil {
				panic(err)
			}
			shards := stripe(k, m, shardBytes, gap)
			if err := enc.Encode(shards); err != nil {
				panic(err)
			}
			rates := measure(k*shardBytes, func() {
				if err := enc.Encode(shards); err != nil {
					panic(err)
				}
			})
			fmt.Printf("go\tencode\t%d+%d\t%d\t%d\t%.2f\n", k, m, shardBytes, gap, rates[len(rates)/2])

			// Lose data shards 0..m-1; a zero-length slice keeps its capacity and is refilled in place.
			rates = measure(k*shardBytes, func() {
				for i := 0; i < m; i++ {
					shards[i] = shards[i][:0]
				}
				if err := enc.ReconstructData(shards); err != nil {
					panic(err)
				}
			})
			fmt.Printf("go\treconstruct-4-data\t%d+%d\t%d\t%d\t%.2f\n", k, m, shardBytes, gap, rates[len(rates)/2])
			if ok, err := enc.Verify(shards); !ok || err != nil {
				panic("the rebuilt stripe does not verify")
			}
		}
	}
	fmt.Fprintf(os.Stderr, "go %s, GOMAXPROCS %d\n", runtime.Version(), runtime.GOMAXPROCS(0))
}

type crossCase struct{ k, m, shardBytes int }

// crosscheck writes, per case: the data shards, the parity of klauspost's Cauchy matrix (the same
// construction as Overlay.Erasure's, so it must match byte for byte), an erasure pattern of up to m
// lost shards, and the data klauspost rebuilt from that pattern under its default (Vandermonde) matrix.
func crosscheck(dir string) error {
	cases := []crossCase{
		{1, 1, 1}, {2, 1, 7}, {4, 2, 100}, {3, 5, 33}, {10, 4, 65536 + 3}, {17, 3, 1000}, {32, 32, 777},
		{100, 28, 513}, {200, 56, 64}, {128, 128, 300}, {255, 1, 50}, {1, 255, 10},
	}
	random := rand.New(rand.NewSource(19))
	for index, c := range cases {
		data := make([][]byte, c.k+c.m)
		for i := range data {
			data[i] = make([]byte, c.shardBytes)
			if i < c.k {
				random.Read(data[i])
			}
		}
		cauchy, err := reedsolomon.New(c.k, c.m, reedsolomon.WithCauchyMatrix(), reedsolomon.WithMaxGoroutines(1))
		if err != nil {
			return err
		}
		if err := cauchy.Encode(data); err != nil {
			return err
		}
		present := make([]byte, c.k+c.m)
		for i := range present {
			present[i] = 1
		}
		lost := 1 + random.Intn(c.m)
		for _, i := range random.Perm(c.k + c.m)[:lost] {
			present[i] = 0
		}

		standard, err := reedsolomon.New(c.k, c.m, reedsolomon.WithMaxGoroutines(1))
		if err != nil {
			return err
		}
		shards := make([][]byte, c.k+c.m)
		for i := range shards {
			shards[i] = append([]byte(nil), data[i]...)
		}
		if err := standard.Encode(shards); err != nil {
			return err
		}
		for i := range shards {
			if present[i] == 0 {
				shards[i] = nil
			}
		}
		if err := standard.ReconstructData(shards); err != nil {
			return err
		}

		file, err := os.Create(filepath.Join(dir, fmt.Sprintf("case-%02d.bin", index)))
		if err != nil {
			return err
		}
		header := make([]byte, 12)
		binary.LittleEndian.PutUint32(header[0:], uint32(c.k))
		binary.LittleEndian.PutUint32(header[4:], uint32(c.m))
		binary.LittleEndian.PutUint32(header[8:], uint32(c.shardBytes))
		parts := [][]byte{header, present}
		parts = append(parts, data...)         // k data shards, then the m Cauchy parity shards
		parts = append(parts, shards[:c.k]...) // the data klauspost rebuilt under its default matrix
		for _, part := range parts {
			if _, err := file.Write(part); err != nil {
				file.Close()
				return err
			}
		}
		if err := file.Close(); err != nil {
			return err
		}
	}
	return nil
}
