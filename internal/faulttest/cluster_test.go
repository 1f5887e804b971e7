package faulttest

import (
	"context"
	"testing"

	"github.com/rebindhq/rebind/internal/store"
)

func TestClusterRestarts(t *testing.T) {
	c := StartCluster(t)
	ctx := context.Background()
	db, err := store.Open(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	c.Stop("immediate")
	if err := db.Ready(ctx); err == nil {
		t.Fatal("ready while stopped")
	}
	c.Start()
	if err := db.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}
