namespace Overlay.Transport.InMemory;

/// <summary>
/// How one direction of a simulated link behaves.
/// </summary>
/// <param name="Latency">One-way propagation delay.</param>
/// <param name="Jitter">Each segment's delay varies uniformly within ±Jitter (order is still kept, as TCP and QUIC streams keep it).</param>
/// <param name="LossRate">Probability 0–1 that a segment is lost; a lost segment arrives one retransmission timeout later (the stream is reliable).</param>
/// <param name="BytesPerSecond">Serialisation rate; 0 means unlimited.</param>
public readonly record struct LinkProfile(TimeSpan Latency, TimeSpan Jitter = default, double LossRate = 0, long BytesPerSecond = 0)
{
    /// <summary>A perfect link: no delay, loss or rate limit.</summary>
    public static LinkProfile Instant => new(TimeSpan.Zero);

    /// <summary>The retransmission timeout a lost segment costs: three one-way delays, at least 200 ms (TCP's minimum RTO).</summary>
    public TimeSpan RetransmissionTimeout => TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(200).Ticks, Latency.Ticks * 3));
}
