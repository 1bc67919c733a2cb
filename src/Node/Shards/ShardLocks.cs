using Overlay.Node.Concurrency;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// One lock per shard of the owner's, striped: operations on one shard (put, audit, renewal, repair)
/// run one at a time, so a challenge is never spent twice and two repairs never race; operations on
/// shards of different stripes run side by side. A fixed array, so a million shards cost no more.
/// </summary>
public sealed class ShardLocks
{
    private const int Stripes = 64;
    private readonly AsyncGate[] _locks = new AsyncGate[Stripes];

    /// <summary>Creates the stripes.</summary>
    public ShardLocks()
    {
        for (var i = 0; i < Stripes; i++)
        {
            _locks[i] = new AsyncGate(1);
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

    private sealed class Held(AsyncGate gate) : IDisposable
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
