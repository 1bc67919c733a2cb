namespace Overlay.Transport.Pooling;

/// <summary>
/// A response got through <see cref="ConnectionPool.RequestAsync"/>, with the <see cref="TimeProvider"/>
/// timestamp at which the request that it answers was handed to its connection (after any dial, so a round
/// trip measured from it excludes the handshake). Dispose it to return the response's buffer.
/// </summary>
public readonly record struct PooledResponse(TransportResponse Response, long SentAt) : IDisposable
{
    /// <summary>Returns the response's buffer to the pool.</summary>
    public void Dispose() => Response?.Dispose();
}
