namespace Overlay.Node.Files;

/// <summary>
/// The stripe buffers of one store, reused from stripe to stripe: a fresh 14 MiB buffer per 10 MiB stripe
/// cost the storing node a page fault per 4 KiB of it and its zeroing by the kernel, a fifth of its CPU
/// (docs/BENCHMARKS.md, "Where a GiB store's time goes"). A store has a few stripes in flight, so it keeps
/// that many; a buffer is returned once every transfer of its stripe has ended, and is dropped with the store.
/// </summary>
internal sealed class StripeBuffers(int bytes)
{
    private readonly Stack<byte[]> _free = new();

    /// <summary>A buffer of the stripe's size: one given back earlier, else a new one (its content is not cleared).</summary>
    public byte[] Rent()
    {
        lock (_free)
        {
            if (_free.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(bytes);
    }

    /// <summary>Gives a buffer back; nothing may read or write it afterwards.</summary>
    public void Return(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != bytes)
        {
            return;
        }

        lock (_free)
        {
            _free.Push(buffer);
        }
    }
}
