using System.Globalization;

namespace Overlay.Transport;

/// <summary>
/// Transport settings (section <c>Transport</c> of node.config.json). Defaults are the documented
/// ones; <see cref="Validate"/> names every bad key, its value and what is allowed.
/// </summary>
public sealed class TransportOptions
{
    /// <summary>
    /// The largest receive window a stream may have (64 MiB): the most credit a peer may grant on one
    /// stream. Credit beyond it breaks the protocol (docs/PROTOCOL.md, "Flow control on streams").
    /// </summary>
    public const int MaxStreamWindowBytes = 64 << 20;

    /// <summary>Addresses to listen on. Default <c>["tcp://0.0.0.0:4001"]</c>; add <c>quic://…</c> where libmsquic is installed.</summary>
    public IList<string> ListenAddresses { get; init; } = ["tcp://0.0.0.0:4001"];

    /// <summary>Peers dialled at start, normally with a pinned PeerId. Default empty.</summary>
    public IList<string> BootstrapPeers { get; init; } = [];

    /// <summary>Most connections the pool holds, 1–1,000,000. Default 1,000.</summary>
    public int MaxConnections { get; set; } = 1000;

    /// <summary>
    /// Most connections to or from one public IP address, 1–MaxConnections. Default 16. Loopback and
    /// private addresses have their own limits (<see cref="MaxConnectionsPerLoopbackAddress"/>,
    /// <see cref="MaxConnectionsPerPrivateAddress"/>): every node on one host shares 127.0.0.1, and
    /// every node of one site its private range.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 16;

    /// <summary>
    /// Most connections to or from one private address (RFC 1918, link-local, IPv6 unique-local),
    /// 1–1,000,000. Default 256: a LAN host running that many nodes still joins all of them.
    /// </summary>
    public int MaxConnectionsPerPrivateAddress { get; set; } = 256;

    /// <summary>
    /// Most connections to or from one loopback address, 1–1,000,000. Default 1,000 (the default
    /// <see cref="MaxConnections"/>): only this host's own users dial from there, and a network of
    /// nodes on one host needs a connection between each pair.
    /// </summary>
    public int MaxConnectionsPerLoopbackAddress { get; set; } = 1000;

    /// <summary>
    /// Most inbound connections in their TLS handshake at once, over all addresses, 1–65,536. Default
    /// 256. Connections that have not sent a byte yet (a socket each, no TLS state) are held up to 16
    /// times as many. Over either limit an unauthenticated connection is closed to make room, silent
    /// ones first and oldest first, so a flood of silent or slow connections holds bounded memory and
    /// cannot keep out a peer that starts its handshake promptly.
    /// </summary>
    public int MaxPendingHandshakes { get; set; } = 256;

    /// <summary>
    /// A pooled connection with no traffic for this long is closed. Default 10 minutes; 1 s–1 day. Long
    /// enough that a node's next lookups and stores to the same peers find their connections still open:
    /// a new connection costs both ends a TLS handshake and an identity check, an idle open one no
    /// traffic (keep-alives run only while something is in flight, <see cref="KeepAliveInterval"/>),
    /// only its memory on both ends.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Pooled connections above which the pool trims itself, 1–1,000,000 (at or above <see cref="MaxConnections"/>
    /// only that hard limit binds). Default 64. When it holds
    /// more, it closes the least recently active connections down to <see cref="PoolLowWatermark"/>,
    /// skipping every one with something in flight, one under a <see cref="ITransportConnection.KeepWatched"/>
    /// lease, one a protocol keeps (<see cref="Pooling.ConnectionPool.Keep"/>) and one used within
    /// <see cref="PoolGracePeriod"/>; those may hold the pool above this mark. A node meets far more peers
    /// than it talks to again within <see cref="IdleTimeout"/> (joining, and other nodes' lookups reaching
    /// it, open a connection per peer asked once), and each open connection holds memory on both ends.
    /// </summary>
    public int PoolHighWatermark { get; set; } = 64;

    /// <summary>
    /// The pool trims down to this many connections once above <see cref="PoolHighWatermark"/>, 0–1,000,000 (a value
    /// above the high watermark trims to the high watermark). Default 32.
    /// </summary>
    public int PoolLowWatermark { get; set; } = 32;

    /// <summary>
    /// A connection used (dialled, accepted, handed out by the pool, or carrying traffic) within this long is
    /// not trimmed, so a caller that just got it from the pool can start its request. Default 30 s; 1 s–1 hour.
    /// </summary>
    public TimeSpan PoolGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Silence after which a Ping is sent on a connection with something in flight (a request or stream
    /// awaiting the peer, a request being served, bytes queued, or a request of this node the peer has not
    /// been heard from since); three silent intervals close it. Silence counts from the peer's last byte or
    /// from when this node began waiting, whichever is later. An idle connection sends no keep-alives: it
    /// costs nothing until the pool closes it (<see cref="IdleTimeout"/>). Default 10 s; 100 ms–1 hour.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a small frame may wait to be coalesced. Default 10 ms; 0 (no batching)–1 s.</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>A batch is sent as soon as it holds this many bytes. Default 65,536; 1,024–16 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 65536;

    /// <summary>Largest frame accepted or sent, header included. Default 1 MiB; 4 KiB–16 MiB.</summary>
    public int MaxFrameBytes { get; set; } = 1 << 20;

    /// <summary>Bytes queued for sending before senders wait (backpressure). Default 4 MiB; at least MaxFrameBytes.</summary>
    public int MaxQueuedSendBytes { get; set; } = 4 << 20;

    /// <summary>
    /// Every stream's initial receive window: bytes a peer may have in flight on one stream towards this
    /// node when the stream starts. Control streams keep it; bulk streams start with it (or with the
    /// larger window an earlier bulk stream of the same connection grew to) and grow it towards
    /// <see cref="BulkStreamWindowMaxBytes"/> when the measured bandwidth-delay product calls for it.
    /// Over TCP+TLS and in memory each direction starts with the protocol's 64 KiB and the receiver
    /// grants the rest at once; over QUIC it is each stream's initial flow-control window (libmsquic
    /// may grow it when the reader keeps up), and the connection's window is four of them. Over TCP every
    /// byte of a window that is in flight is ahead of the connection's next request (one ordered byte
    /// stream). Default 64 KiB; a power of two from 64 KiB to 64 MiB.
    /// </summary>
    public int StreamWindowBytes { get; set; } = 64 << 10;

    /// <summary>
    /// The largest receive window a bulk stream grows to over TCP+TLS and in memory. A bulk stream's
    /// receiver doubles its window while the stream delivers more than half a window per round trip,
    /// its reader waits for data and the round trip (measured with the connection's own pings) shows no
    /// queue, so a long path gets about two to four times its bandwidth-delay product. Connections to a
    /// loopback address keep <see cref="StreamWindowBytes"/>. Not used over QUIC, where libmsquic tunes stream windows inside the connection's
    /// window. Default 16 MiB (a 100 Mbit/s path of 300 ms round trip needs about 4 MiB); a power of two
    /// from 64 KiB to 64 MiB, where a value up to <see cref="StreamWindowBytes"/> keeps windows fixed.
    /// </summary>
    public int BulkStreamWindowMaxBytes { get; set; } = 16 << 20;

    /// <summary>Most concurrently open streams per connection. Default 2,048; 1–65,536.</summary>
    public int MaxStreamsPerConnection { get; set; } = 2048;

    /// <summary>
    /// Most inbound requests served at once per connection (more are refused as busy), and likewise
    /// most one-way messages handled at once (more are dropped and counted). Default 1,024; 1–65,536.
    /// </summary>
    public int MaxConcurrentRequests { get; set; } = 1024;

    /// <summary>Time allowed for connecting plus the TLS handshake. Default 5 s; 100 ms–5 min.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for a request to be answered. Default 10 s; 10 ms–10 min.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Optional path of libmsquic to load before QUIC is first used. Default null (the system's).</summary>
    public string? MsQuicLibraryPath { get; set; }

    /// <summary>The most connections to or from one address of <paramref name="scope"/>.</summary>
    public int MaxConnectionsPer(AddressScope scope) => scope switch
    {
        AddressScope.Loopback => MaxConnectionsPerLoopbackAddress,
        AddressScope.Private => MaxConnectionsPerPrivateAddress,
        _ => MaxConnectionsPerAddress,
    };

    /// <summary>The configuration key of the per-address limit for <paramref name="scope"/>, for messages.</summary>
    public static string KeyOfLimit(AddressScope scope) => scope switch
    {
        AddressScope.Loopback => "Transport:" + nameof(MaxConnectionsPerLoopbackAddress),
        AddressScope.Private => "Transport:" + nameof(MaxConnectionsPerPrivateAddress),
        _ => "Transport:" + nameof(MaxConnectionsPerAddress),
    };

    /// <summary>
    /// Checks every setting. Returns one sentence per failure naming the key, the value and what
    /// is allowed; empty when all are valid.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        CheckAddresses(failures, nameof(ListenAddresses), ListenAddresses, requirePort: false);
        CheckAddresses(failures, nameof(BootstrapPeers), BootstrapPeers, requirePort: true);
        Range(failures, nameof(MaxConnections), MaxConnections, 1, 1_000_000);
        if (MaxConnections >= 1)
        {
            Range(failures, nameof(MaxConnectionsPerAddress), MaxConnectionsPerAddress, 1, MaxConnections);
        }

        Range(failures, nameof(MaxConnectionsPerPrivateAddress), MaxConnectionsPerPrivateAddress, 1, 1_000_000);
        Range(failures, nameof(MaxConnectionsPerLoopbackAddress), MaxConnectionsPerLoopbackAddress, 1, 1_000_000);
        Range(failures, nameof(MaxPendingHandshakes), MaxPendingHandshakes, 1, 65536);
        Range(failures, nameof(IdleTimeout), IdleTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(failures, nameof(PoolHighWatermark), PoolHighWatermark, 1, 1_000_000);
        Range(failures, nameof(PoolLowWatermark), PoolLowWatermark, 0, 1_000_000);
        Range(failures, nameof(PoolGracePeriod), PoolGracePeriod, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(failures, nameof(KeepAliveInterval), KeepAliveInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(failures, nameof(BatchWindow), BatchWindow, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Range(failures, nameof(MaxBatchBytes), MaxBatchBytes, 1024, 16 << 20);
        Range(failures, nameof(MaxFrameBytes), MaxFrameBytes, 4096, 16 << 20);
        Range(failures, nameof(MaxQueuedSendBytes), MaxQueuedSendBytes, Math.Max(4096, MaxFrameBytes), int.MaxValue);
        if (StreamWindowBytes < (64 << 10) || StreamWindowBytes > MaxStreamWindowBytes || !int.IsPow2(StreamWindowBytes))
        {
            // libmsquic takes only powers of two for stream windows; one rule for every transport.
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Transport:{nameof(StreamWindowBytes)} is {StreamWindowBytes}; allowed is a power of two from 65536 to 67108864."));
        }

        if (BulkStreamWindowMaxBytes < (64 << 10) || BulkStreamWindowMaxBytes > MaxStreamWindowBytes || !int.IsPow2(BulkStreamWindowMaxBytes))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Transport:{nameof(BulkStreamWindowMaxBytes)} is {BulkStreamWindowMaxBytes}; allowed is a power of two from 65536 to 67108864 (at most Transport:{nameof(StreamWindowBytes)}: fixed windows)."));
        }

        Range(failures, nameof(MaxStreamsPerConnection), MaxStreamsPerConnection, 1, 65536);
        Range(failures, nameof(MaxConcurrentRequests), MaxConcurrentRequests, 1, 65536);
        Range(failures, nameof(HandshakeTimeout), HandshakeTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Range(failures, nameof(RequestTimeout), RequestTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        if (MsQuicLibraryPath is { } path && (path.Length == 0 || !File.Exists(path)))
        {
            failures.Add($"Transport:{nameof(MsQuicLibraryPath)} is '{path}', which is not an existing file; name the libmsquic library file or leave it unset.");
        }

        return failures;
    }

    private static void CheckAddresses(List<string> failures, string key, IList<string>? values, bool requirePort)
    {
        if (values is null)
        {
            failures.Add($"Transport:{key} is null; give a list (possibly empty) of addresses such as tcp://0.0.0.0:4001.");
            return;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (!TransportAddress.TryParse(values[i], out var address, out var error))
            {
                failures.Add($"Transport:{key}:{i} is invalid: {error}");
            }
            else if (requirePort && address.Port == 0)
            {
                failures.Add($"Transport:{key}:{i} is '{values[i]}'; a peer to dial needs a port from 1 to 65535.");
            }
        }
    }

    private static void Range(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Transport:{key} is {value}; allowed is {min} to {max}."));
        }
    }

    private static void Range(List<string> failures, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Transport:{key} is {value}; allowed is {min} to {max}."));
        }
    }
}
