using System.Diagnostics.Metrics;

namespace Overlay.Node.Reachability;

/// <summary>
/// The counters of <c>reach/1</c> (meter <see cref="MeterName"/>): requests this node answered, by type and
/// by the status it answered with (refusals included), and the checks it ran of its own reachability.
/// Running totals are kept too, for <c>overlay status</c> and tests.
/// </summary>
public sealed class ReachMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Overlay.Node.Reach";

    private readonly Counter<long> _served;
    private readonly Counter<long> _checks;
    private readonly long[] _totals = new long[(int)ReachStatus.Busy + 1];

    /// <summary>Creates the counters on <paramref name="meter"/>.</summary>
    public ReachMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _served = meter.CreateCounter<long>("overlay.reach.requests", description: "reach/1 requests this node answered, by type and result (refusals included)");
        _checks = meter.CreateCounter<long>("overlay.reach.checks", description: "Checks of this node's own reachability, by verdict");
    }

    /// <summary>Requests answered with <paramref name="status"/> since start.</summary>
    public long Answered(ReachStatus status) => Volatile.Read(ref _totals[(int)status]);

    /// <summary>Requests answered with any refusal (malformed, unsupported, foreign address, rate limited, busy) since start.</summary>
    public long Refused
    {
        get
        {
            long sum = 0;
            for (var s = ReachStatus.Malformed; s <= ReachStatus.Busy; s++)
            {
                sum += Answered(s);
            }

            return sum;
        }
    }

    internal void Answer(string type, ReachStatus status)
    {
        _served.Add(1, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("result", Tag(status)));
        Interlocked.Increment(ref _totals[(int)status]);
    }

    internal void Checked(ReachabilityVerdict verdict) => _checks.Add(1, new KeyValuePair<string, object?>("verdict", ReachabilityReport.Tag(verdict)));

    /// <summary>The snake-case tag of a status, as counted and shown.</summary>
    public static string Tag(ReachStatus status) => status switch
    {
        ReachStatus.Time => "time",
        ReachStatus.Reachable => "reachable",
        ReachStatus.Unreachable => "unreachable",
        ReachStatus.Malformed => "malformed",
        ReachStatus.UnsupportedVersion => "unsupported_version",
        ReachStatus.UnknownType => "unknown_type",
        ReachStatus.ForeignAddress => "foreign_address",
        ReachStatus.RateLimited => "rate_limited",
        _ => "busy",
    };
}
