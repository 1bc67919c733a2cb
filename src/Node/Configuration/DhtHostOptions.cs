using Overlay.Transport;

namespace Overlay.Node.Configuration;

/// <summary>
/// The <c>DhtHost</c> section: how the daemon runs its DHT participant (the DHT's own settings are the
/// <c>Dht</c> section, <see cref="Overlay.Dht.DhtOptions"/>).
/// </summary>
public sealed class DhtHostOptions
{
    public const string SectionName = "DhtHost";

    /// <summary>
    /// The address peers are told to dial, e.g. <c>tcp://203.0.113.7:4001</c> (no PeerId). Empty: the
    /// first listen address, with an unspecified host (0.0.0.0 or ::) replaced by this machine's first
    /// non-loopback address of that family (a LAN address behind NAT; set this to the public address there).
    /// </summary>
    public string AnnounceAddress { get; set; } = string.Empty;

    /// <summary>How often a maintenance round runs (stale-bucket refresh, expiry, republish); 00:00:01 to 1.00:00:00, default 1 minute.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the routing table is saved to dht.db and expired rows deleted (also at stop; records are saved as they are kept); 00:00:01 to 1.00:00:00, default 5 minutes.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest wait between attempts to join while no peer answers; 00:00:01 to 01:00:00, default 1 minute.</summary>
    public TimeSpan MaxJoinRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most contacts read back from dht.db at start (1 to 1,000,000; default 10,000).</summary>
    public int MaxSavedContacts { get; set; } = 10_000;

    /// <summary>
    /// How often the node asks peers to dial its announced address back (<c>reach/1</c>); it runs as a DHT client while
    /// none can. The first check follows the join. A check no peer gave a verdict in is repeated after one minute, then
    /// 2, 4, … minutes, never longer than this. 00:01:00 to 1.00:00:00, default 30 minutes.
    /// </summary>
    public TimeSpan ReachabilityInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Peers asked per reachability check, drawn from the routing table (1 to 16; default 3).</summary>
    public int ReachabilityPeers { get; set; } = 3;

    /// <summary>Problems with these values, one sentence each; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (AnnounceAddress.Length > 0 && !TransportAddress.TryParse(AnnounceAddress, out _, out var error))
        {
            yield return OptionProblem.Describe(SectionName, nameof(AnnounceAddress), AnnounceAddress, $"it must be a dialable address such as tcp://203.0.113.7:4001 ({error.TrimEnd('.')})");
        }
        else if (AnnounceAddress.Length > 0 && TransportAddress.Parse(AnnounceAddress) is { } a && (a.Port == 0 || a.ExpectedPeer is not null))
        {
            yield return OptionProblem.Describe(SectionName, nameof(AnnounceAddress), AnnounceAddress, "it must name a port other than 0 and pin no PeerId");
        }

        foreach (var problem in CheckDuration(nameof(MaintenanceInterval), MaintenanceInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)))
        {
            yield return problem;
        }

        foreach (var problem in CheckDuration(nameof(SnapshotInterval), SnapshotInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)))
        {
            yield return problem;
        }

        foreach (var problem in CheckDuration(nameof(MaxJoinRetryDelay), MaxJoinRetryDelay, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)))
        {
            yield return problem;
        }

        foreach (var problem in CheckDuration(nameof(ReachabilityInterval), ReachabilityInterval, TimeSpan.FromMinutes(1), TimeSpan.FromDays(1)))
        {
            yield return problem;
        }

        if (ReachabilityPeers is < 1 or > 16)
        {
            yield return OptionProblem.Describe(SectionName, nameof(ReachabilityPeers), ReachabilityPeers, "it must be between 1 and 16");
        }

        if (MaxSavedContacts is < 1 or > 1_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxSavedContacts), MaxSavedContacts, "it must be between 1 and 1000000");
        }
    }

    private static IEnumerable<string> CheckDuration(string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            yield return OptionProblem.Describe(SectionName, key, value, FormattableString.Invariant($"it must be between {min} and {max}"));
        }
    }
}
