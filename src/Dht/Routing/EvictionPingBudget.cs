namespace Overlay.Dht.Routing;

/// <summary>
/// How many eviction pings a routing table may ask for: a token bucket over the table's clock, refilled at
/// <see cref="DhtOptions.EvictionPingsPerMinute"/> and capped at a minute's worth (at least one, so a budget
/// below one a minute still pings now and then). A rate of zero never pings.
/// </summary>
internal sealed class EvictionPingBudget
{
    private readonly double _perMinute;
    private readonly double _burst;
    private double _tokens;
    private DateTimeOffset _at;

    public EvictionPingBudget(double perMinute, DateTimeOffset now)
    {
        _perMinute = perMinute;
        _burst = Math.Max(1, perMinute);
        _tokens = _burst;
        _at = now;
    }

    /// <summary>Takes one ping from the budget at <paramref name="now"/>; false when none is left.</summary>
    public bool TryTake(DateTimeOffset now)
    {
        if (_perMinute <= 0)
        {
            return false;
        }

        if (now > _at)
        {
            _tokens = Math.Min(_burst, _tokens + ((now - _at).TotalMinutes * _perMinute));
            _at = now;
        }

        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }
}
