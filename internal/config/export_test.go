package config

// ShardBits exposes shardBits to the external tests.
var ShardBits = shardBits
