package cli

import (
	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/server"
)

// remoteFlags are the flags of commands that talk to a running platform.
type remoteFlags struct {
	state string
}

func (f *remoteFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.state, "state", ".stacklab", "state `DIR` of the running platform")
}

// client finds the running platform through the state directory.
func (f *remoteFlags) client() (*server.Client, error) {
	st := server.State{Dir: f.state}
	ep, err := st.ReadEndpoints()
	if err != nil {
		return nil, err
	}
	tok, err := st.ReadToken()
	if err != nil {
		return nil, err
	}
	return &server.Client{Base: ep.Control, Token: tok}, nil
}
