// Chunk decompression handlers for @mcap/core, from the libraries Foxglove publishes for it.
import zstd from "@foxglove/wasm-zstd";
import lz4 from "@foxglove/wasm-lz4";

export async function loadDecompressHandlers() {
  await zstd.isLoaded;
  await lz4.isLoaded;
  return {
    zstd: (data, size) => zstd.decompress(data, Number(size)),
    lz4: (data, size) => lz4(data, Number(size)),
  };
}

// Returns a compressChunk callback for McapWriter (zstd), or undefined if unavailable.
export async function loadZstdCompressor() {
  try {
    await zstd.isLoaded;
    return (chunkData) => ({ compression: "zstd", compressedData: zstd.compress(chunkData, 3) });
  } catch {
    return undefined;
  }
}
