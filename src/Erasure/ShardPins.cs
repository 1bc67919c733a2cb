using System.Buffers;

namespace Overlay.Erasure;

/// <summary>
/// Pins shard buffers for the length of one call so kernels can read and write them through
/// pointers. The handle array comes from the shared pool, so a warm call allocates nothing.
/// </summary>
internal unsafe ref struct ShardPins
{
    private readonly MemoryHandle[] _handles;
    private int _count;

    public ShardPins(int capacity)
    {
        _handles = ArrayPool<MemoryHandle>.Shared.Rent(capacity);
        _count = 0;
    }

    public byte* Pin(Memory<byte> shard)
    {
        var handle = shard.Pin();
        _handles[_count++] = handle;
        return (byte*)handle.Pointer;
    }

    public void Dispose()
    {
        for (var i = 0; i < _count; i++)
        {
            _handles[i].Dispose();
        }

        // Cleared so the pool does not keep the shards' arrays alive.
        ArrayPool<MemoryHandle>.Shared.Return(_handles, clearArray: true);
    }
}
