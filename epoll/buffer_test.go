package epoll

import (
	"testing"
	"time"
)

// TestTrimBlocks: blocks that stay free for a whole trim period are
// dropped; those the period used are kept; a shard keeps at most
// maxShardBlocks.
func TestTrimBlocks(t *testing.T) {
	fb := &blockShards[numShards-1]
	defer lastBlockTrim.Store(0) // the loops' trims resume at once
	held := make([]*block, maxShardBlocks+10)
	for i := range held {
		held[i] = getBlock(fb, blockSize)
	}
	for _, b := range held {
		putBlock(fb, b)
	}
	if n := len(fb.list); n != maxShardBlocks {
		t.Fatalf("%d free blocks kept, want the cap %d", n, maxShardBlocks)
	}
	now := time.Now().UnixNano() + int64(time.Hour) // past any trim the loops did
	trimBlocks(now, time.Second)                    // starts a period: low = what is free now
	// This period needs 20 blocks at once, then gives them back.
	var used []*block
	for i := 0; i < 20; i++ {
		used = append(used, getBlock(fb, blockSize))
	}
	for _, b := range used {
		putBlock(fb, b)
	}
	trimBlocks(now+int64(500*time.Millisecond), time.Second) // too soon: nothing happens
	if n := len(fb.list); n != maxShardBlocks {
		t.Fatalf("a trim within the period dropped blocks: %d left", n)
	}
	trimBlocks(now+int64(time.Second), time.Second)
	if n := len(fb.list); n != 20 {
		t.Fatalf("after a period that needed 20 blocks, %d are kept", n)
	}
	trimBlocks(now+int64(2*time.Second), time.Second)
	if fb.list != nil {
		t.Fatalf("after an idle period %d blocks are kept", len(fb.list))
	}
}
