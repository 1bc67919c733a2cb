using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// One decoded <c>shard/1</c> request header. Which fields mean something depends on
/// <see cref="Operation"/>; the others are zero.
/// </summary>
/// <param name="Operation">What is asked.</param>
/// <param name="Id">The shard.</param>
/// <param name="Size">Store, Pull: the bytes that follow the holder's go-ahead.</param>
/// <param name="ExpiresAt">Store, Renew, Pull: until when the opener asks the holder to keep the shard.</param>
/// <param name="Offset">Fetch: the first byte wanted.</param>
/// <param name="Length">Fetch: most bytes wanted; <see cref="ShardCodec.ToEnd"/> for all from the offset on.</param>
/// <param name="Nonce">Audit: the challenge's 32-byte key.</param>
/// <param name="Source">Pull: the address (with <c>/p2p/PEERID</c>) of the holder to copy the shard from, as sent (parsed by the holder).</param>
public readonly record struct ShardRequest(
    ShardOperation Operation, ShardId Id, int Size, DateTimeOffset ExpiresAt, long Offset, long Length, ReadOnlyMemory<byte> Nonce, string? Source = null);
