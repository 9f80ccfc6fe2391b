SyncFIFO_w32_d8.v
