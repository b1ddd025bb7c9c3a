package spec

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// node is a YAML node; the parser and the editor share the node API of yaml.v3.
type node = yaml.Node

// chunk is the text of one document of a multi-document file. Splitting on
// "---" lines ourselves (instead of letting a decoder stream documents) gives
// byte ranges for in-place edits and lets one document's syntax error leave
// the others readable.
type chunk struct {
	sepStart int // offset of the "---" line before the document; == start when there is none
	start    int // offset of the document's first line
	end      int // offset just past the document's last line
	line     int // 1-based line number of start
}

// splitDocuments cuts data at lines that are "---" (optionally followed by
// blanks or a comment). There is always at least one chunk.
func splitDocuments(data []byte) []chunk {
	var chunks []chunk
	cur := chunk{line: 1}
	line, off := 1, 0
	for off < len(data) {
		next := bytes.IndexByte(data[off:], '\n')
		end := len(data)
		if next >= 0 {
			end = off + next + 1
		}
		if isSeparator(data[off:end]) {
			cur.end = off
			chunks = append(chunks, cur)
			cur = chunk{sepStart: off, start: end, line: line + 1}
		}
		off = end
		line++
	}
	cur.end = len(data)
	return append(chunks, cur)
}

func isSeparator(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\n' || l[3] == '\r'
}

var (
	yamlLineErr   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// parserProblems are the messages of libyaml's parser (not its scanner).
// yaml.v3 adds one to the 0-based line of scanner errors only, so the line
// it prints for these is one too small.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// parseChunk parses one document into a node tree whose lines are those of
// the whole file. It returns nil for a document with no content.
func parseChunk(data []byte, c chunk) (*yaml.Node, *FieldError) {
	text := data[c.start:c.end]
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if err == io.EOF {
		return nil, nil
	}
	afterEnd := false
	if err == nil {
		// A "..." line ends a document. Every document must be its own
		// chunk, or one after "..." would be silently ignored.
		var extra yaml.Node
		if err = dec.Decode(&extra); err == io.EOF {
			err = nil
		} else {
			afterEnd = true
			if err == nil {
				err = fmt.Errorf("yaml: line %d: did not find expected <document start>", extra.Line-1)
			}
		}
	}
	if err != nil {
		line, msg := c.line, err.Error()
		if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			if parserProblems[m[2]] {
				n++ // yaml.v3 prints the 0-based line of the parser's mark
			}
			line, msg = c.line+n-1, m[2]
		} else if len(msg) > 6 && msg[:6] == "yaml: " {
			msg = msg[6:]
			if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
				// yaml.v3 gives no line for this one: find the alias.
				if i := bytes.Index(text, []byte("*"+m[1])); i >= 0 {
					line = c.line + bytes.Count(text[:i], []byte("\n"))
				}
			}
		}
		// An error at the end of the input (an unclosed "{") is shown on
		// the last line that has text, not on the empty one after it.
		if last := c.line + bytes.Count(bytes.TrimRight(text, " \t\r\n"), []byte("\n")); line > last {
			line = last
		}
		if afterEnd && msg == "did not find expected <document start>" {
			msg = `content after the "..." that ends the document (start another document with a "---" line)`
		}
		return nil, &FieldError{Line: line, Msg: "invalid YAML: " + msg, Kind: "json_invalid"}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	shiftLines(&doc, c.line-1)
	return &doc, nil
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// lineOffsets returns the byte offset at which each line starts (index 0 is line 1).
func lineOffsets(data []byte) []int {
	offs := []int{0}
	for i, b := range data {
		if b == '\n' && i+1 <= len(data) {
			offs = append(offs, i+1)
		}
	}
	return offs
}
