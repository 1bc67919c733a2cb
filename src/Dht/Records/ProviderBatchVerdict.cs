namespace Overlay.Dht.Records;

/// <summary>
/// A storing node's answer to a provider batch (docs/PROTOCOL.md, "STORE_BATCH"): a refusal of the batch as a whole
/// (<see cref="Batch"/>: its size, expiry, sender, order, root or signature), or, when the batch itself passed, a verdict
/// per id in the batch's order (<see cref="PerId"/>: kept, or why not).
/// </summary>
public sealed class ProviderBatchVerdict
{
    private ProviderBatchVerdict(RecordRejection batch, RecordRejection[] perId)
    {
        Batch = batch;
        PerId = perId;
        foreach (var verdict in perId)
        {
            Accepted += verdict == RecordRejection.None ? 1 : 0;
        }
    }

    /// <summary>The refusal of the whole batch; <see cref="RecordRejection.None"/> when the per-id verdicts apply.</summary>
    public RecordRejection Batch { get; }

    /// <summary>One verdict per id, in the batch's order; empty when <see cref="Batch"/> refused the batch.</summary>
    public IReadOnlyList<RecordRejection> PerId { get; }

    /// <summary>Ids the storing node kept.</summary>
    public int Accepted { get; }

    /// <summary>The batch as a whole refused with <paramref name="reason"/> (not <see cref="RecordRejection.None"/>).</summary>
    public static ProviderBatchVerdict Refused(RecordRejection reason)
    {
        if (reason == RecordRejection.None)
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "A refused batch names its refusal.");
        }

        return new ProviderBatchVerdict(reason, []);
    }

    /// <summary>The batch passed; <paramref name="perId"/> says what became of each id (the array is kept).</summary>
    public static ProviderBatchVerdict PerIds(RecordRejection[] perId)
    {
        ArgumentNullException.ThrowIfNull(perId);
        return new ProviderBatchVerdict(RecordRejection.None, perId);
    }
}
