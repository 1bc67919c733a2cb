namespace Overlay.Dht.Lookup;

/// <summary>
/// How long an operation waits for one peer's answer before going on without it: <see cref="DhtOptions.PeerTimeoutFactor"/>
/// times two round trips at the RTT this node measured to the peer (a new connection's handshake, then the
/// request), never less than <see cref="DhtOptions.MinPeerTimeout"/>. A peer never measured, or one whose
/// patience would reach <see cref="DhtOptions.RequestTimeout"/>, is waited for until the request ends: a
/// prediction (a coordinate a third party passed on) far below the real RTT would give up on a live peer.
/// </summary>
internal static class PeerPatience
{
    /// <summary>The wait for a peer measured at <paramref name="measuredRttMs"/> (NaN: never measured); infinite when the request timeout bounds it.</summary>
    public static TimeSpan For(DhtOptions options, double measuredRttMs)
    {
        if (options.PeerTimeoutFactor <= 0 || !IsUsable(measuredRttMs))
        {
            return Timeout.InfiniteTimeSpan;
        }

        var ms = Math.Max(options.PeerTimeoutFactor * 2 * measuredRttMs, options.MinPeerTimeout.TotalMilliseconds);
        return ms < options.RequestTimeout.TotalMilliseconds ? TimeSpan.FromMilliseconds(ms) : Timeout.InfiniteTimeSpan;
    }

    /// <summary>A positive, finite RTT (not NaN, not a missing estimate).</summary>
    public static bool IsUsable(double rttMs) => rttMs > 0 && double.IsFinite(rttMs);
}
