using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// One lock per shard of the owner's, striped: operations on one shard (put, audit, renewal, repair)
/// run one at a time, so a challenge is never spent twice and two repairs never race; operations on
/// shards of different stripes run side by side. A fixed array, so a million shards cost no more.
/// </summary>
public sealed class ShardLocks : IDisposable
{
    private const int Stripes = 64;
    private readonly SemaphoreSlim[] _locks = new SemaphoreSlim[Stripes];

    /// <summary>Creates the stripes.</summary>
    public ShardLocks()
    {
        for (var i = 0; i < Stripes; i++)
        {
            _locks[i] = new SemaphoreSlim(1, 1);
        }
    }

    /// <summary>Waits for the lock of <paramref name="id"/>; dispose the result to release it.</summary>
    public async Task<IDisposable> EnterAsync(ShardId id, CancellationToken cancellationToken)
    {
        Span<byte> bytes = stackalloc byte[ShardId.Size];
        id.WriteTo(bytes);
        var gate = _locks[bytes[0] % Stripes];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(true);
        return new Held(gate);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var l in _locks)
        {
            l.Dispose();
        }
    }

    private sealed class Held(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
