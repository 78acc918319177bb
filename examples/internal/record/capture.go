package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"sync"
	"time"
)

// captured is what a run printed: each stream byte for byte, and every line
// with the time the recorder read it.
type captured struct {
	stdout, stderr []byte
	lines          []timedLine
}

type timedLine struct {
	at     time.Time
	stream string
	text   []byte // with its newline, if it had one
}

// capture runs cmd, reading both pipes as the process writes them, as a
// container runtime's log driver does.
func capture(cmd *exec.Cmd) (*captured, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	c := &captured{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	read := func(r io.Reader, stream string, all *[]byte) {
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				now := time.Now()
				mu.Lock()
				*all = append(*all, line...)
				c.lines = append(c.lines, timedLine{at: now, stream: stream, text: line})
				mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}
	wg.Go(func() { read(stdout, "stdout", &c.stdout) })
	wg.Go(func() { read(stderr, "stderr", &c.stderr) })
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("%s: %w\nstderr:\n%s", cmd.Path, err, tail(c.stderr, 2000))
	}
	return c, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// containerLog renders the lines as Docker's json-file driver stores them.
func (c *captured) containerLog() []byte {
	lines := append([]timedLine(nil), c.lines...)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, l := range lines {
		enc.Encode(struct {
			Log    string `json:"log"`
			Stream string `json:"stream"`
			Time   string `json:"time"`
		}{string(l.text), l.stream, l.at.UTC().Format(time.RFC3339Nano)})
	}
	return buf.Bytes()
}
