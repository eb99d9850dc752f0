package runtime

import (
	"sync"
	"testing"
)

// Functions are prepared in parallel: two Python functions on a fresh cache
// write the same bootstrap at once.
func TestBootstrapFileConcurrent(t *testing.T) {
	for range 20 {
		b := &Builder{Dir: t.TempDir()}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := b.bootstrapFile("bootstrap.py", []byte("print('hi')\n")); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("writing the bootstrap from two functions at once: %v", err)
		}
	}
}
