namespace Overlay.Transport.Pooling;

/// <summary>One pooled connection and what the pool knows of its use. Guarded by the pool's lock.</summary>
internal sealed class PoolEntry(ITransportConnection connection, string host)
{
    /// <summary><see cref="KeptAt"/> of a connection never kept.</summary>
    public const long NeverKept = long.MinValue;

    public ITransportConnection Connection { get; } = connection;

    /// <summary>The remote host, the key of the per-address count.</summary>
    public string Host { get; } = host;

    /// <summary>Its place in the pool's least-recently-used list; null once removed.</summary>
    public LinkedListNode<PoolEntry>? Node { get; set; }

    /// <summary>The <see cref="TimeProvider"/> timestamp at which the pool last handed it out.</summary>
    public long LastUse { get; set; }

    /// <summary>When <see cref="ConnectionPool.Keep"/> last marked it; <see cref="NeverKept"/> if never.</summary>
    public long KeptAt { get; set; } = NeverKept;

    /// <summary>The later of the pool's last use and the connection's last application frame, either way.</summary>
    public long LastActive => Math.Max(LastUse, Connection.LastActivityTimestamp);
}
