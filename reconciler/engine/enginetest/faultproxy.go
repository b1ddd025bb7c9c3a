package enginetest

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// FaultProxy stands between a client and the engine's unix socket, byte
// for byte, and lets a test make the engine go away: Cut closes every
// connection and refuses new ones (calls fail fast), Stall holds every
// byte in both directions (calls hang), Restore passes them again.
type FaultProxy struct {
	// Sock is where it listens: give the client "unix://" + Sock.
	Sock   string
	target string
	ln     net.Listener

	mu      sync.Mutex
	mode    proxyMode
	changed chan struct{} // closed and replaced at every mode change
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

type proxyMode int

const (
	proxyPass proxyMode = iota
	proxyCut
	proxyStall
)

// StartFaultProxy listens on a socket in a temp dir and forwards to the
// unix socket at target; it stops when the test ends.
func StartFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "engine.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{Sock: sock, target: target, ln: ln, changed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Restore()
		p.closeAll()
		p.wg.Wait()
	})
	return p
}

// Cut closes every connection, and every new one at once.
func (p *FaultProxy) Cut() { p.set(proxyCut); p.closeAll() }

// Stall holds every byte of every connection, old and new, until Restore
// or Cut.
func (p *FaultProxy) Stall() { p.set(proxyStall) }

// Restore passes bytes again.
func (p *FaultProxy) Restore() { p.set(proxyPass) }

func (p *FaultProxy) set(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *FaultProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

func (p *FaultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // the listener closed with the test
		}
		p.mu.Lock()
		cut := p.mode == proxyCut
		if !cut {
			p.conns[c] = struct{}{}
		}
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve pipes one client connection to a new engine connection.
func (p *FaultProxy) serve(c net.Conn) {
	defer p.wg.Done()
	defer p.drop(c)
	e, err := net.Dial("unix", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.conns[e] = struct{}{}
	p.mu.Unlock()
	defer p.drop(e)
	done := make(chan struct{}, 2)
	go func() { p.pipe(e, c); done <- struct{}{} }()
	go func() { p.pipe(c, e); done <- struct{}{} }()
	<-done // each side ends on its EOF (passed on as a half-close), or on Cut
	<-done
}

func (p *FaultProxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// pipe copies src to dst, holding each chunk while the proxy stalls.
func (p *FaultProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.await() {
				dst.Close()
				src.Close()
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				return
			}
		}
		if err != nil {
			cw, ok := dst.(interface{ CloseWrite() error })
			if errors.Is(err, io.EOF) && ok {
				cw.CloseWrite() // a half-close: the request is whole, the answer may follow
				return
			}
			dst.Close() // broken: so that the other direction ends too
			src.Close()
			return
		}
	}
}

// await waits while the proxy stalls; false when it is cut.
func (p *FaultProxy) await() bool {
	for {
		p.mu.Lock()
		mode, changed := p.mode, p.changed
		p.mu.Unlock()
		switch mode {
		case proxyPass:
			return true
		case proxyCut:
			return false
		}
		<-changed
	}
}
