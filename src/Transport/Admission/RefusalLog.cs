using Microsoft.Extensions.Logging;

namespace Overlay.Transport.Admission;

/// <summary>
/// Logs refused connections at Warning, both the ones this node turns away and the ones peers turn
/// away, so an operator sees why nodes do not join. Peers decide how many refusals happen, so each
/// reason is logged at most once per <see cref="Interval"/>, with the count of those left out since.
/// </summary>
internal sealed class RefusalLog
{
    /// <summary>Shortest time between two lines for one reason and direction.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly Dictionary<(bool Inbound, string Reason), Window> _windows = [];

    public RefusalLog(ILogger logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
    }

    /// <summary>This node turned a connection away (or shed it).</summary>
    public void Inbound(ConnectionRefusal refusal)
    {
        TransportMetrics.Refused(refusal.Token, inbound: true);
        if (ShouldLog(inbound: true, refusal.Token, out var left))
        {
            Log.RefusedInbound(_logger, refusal.Describe(), left);
        }
    }

    /// <summary>The peer at <paramref name="address"/> turned this node's connection away with <paramref name="reason"/>.</summary>
    public void Outbound(TransportAddress address, string reason)
    {
        // The reason comes from the peer: counters and the table of windows take known reasons only.
        TransportMetrics.Refused(reason is "address_limit" or "pending_limit" ? reason : "other", inbound: false);
        if (ShouldLog(inbound: false, reason, out var left))
        {
            Log.RefusedByPeer(_logger, address.ToString(), RefusalNotice.Explain(reason), left);
        }
    }

    private bool ShouldLog(bool inbound, string reason, out int leftOut)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            // The reasons are a fixed set (unknown ones from peers are counted under one key), so the table stays tiny.
            var key = (inbound, reason is "address_limit" or "pending_limit" ? reason : "other");
            if (_windows.TryGetValue(key, out var window) && _time.GetElapsedTime(window.LastLogged, now) < Interval)
            {
                window.LeftOut++;
                leftOut = 0;
                return false;
            }

            leftOut = window?.LeftOut ?? 0;
            _windows[key] = new Window { LastLogged = now };
            return true;
        }
    }

    private sealed class Window
    {
        public long LastLogged { get; init; }

        public int LeftOut { get; set; }
    }
}
