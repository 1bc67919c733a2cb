using System.Globalization;

namespace Overlay.Sim.Churn;

/// <summary>
/// One availability sample: <see cref="Owned"/> shards whose owner is present, <see cref="OwnedKept"/> of
/// them kept by at least one present node; every shard ever placed (<see cref="All"/>) and how many are
/// kept; shards fetched through the network and how many came back verified; repairs and the shard bytes
/// new holders copied so far; all bytes delivered so far; holdings owners' books still list on droppers; of the shards of present
/// owners, those a present node other than the owner keeps, and those whose owner keeps its copy on probation.
/// </summary>
internal sealed record ChurnSample(
    TimeSpan At, int Present, int Departures, int Owned, int OwnedKept, int All, int AllKept, int Fetched, int FetchedOk,
    int Repairs, long RepairBytes, long NetworkBytes, int DropperHoldings, int OwnedOnHolders, int InProbation)
{
    public const string CsvHeader = "hours,present,departures,owned,owned_kept,owned_available,all,all_kept,fetched,fetched_ok,repairs,repair_bytes,network_bytes,dropper_holdings,owned_on_holders,in_probation";

    public double OwnedAvailability => Owned == 0 ? 1 : (double)OwnedKept / Owned;

    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{At.TotalHours:F3},{Present},{Departures},{Owned},{OwnedKept},{OwnedAvailability:F6},{All},{AllKept},{Fetched},{FetchedOk},{Repairs},{RepairBytes},{NetworkBytes},{DropperHoldings},{OwnedOnHolders},{InProbation}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{At.TotalHours,6:F2} h: {Present} present, {Departures} left so far; kept {OwnedKept} of {Owned} shards of present owners ({100 * OwnedAvailability:F3} %), {OwnedOnHolders} on holders, {InProbation} on probation, {AllKept} of {All} ever placed; fetched {FetchedOk} of {Fetched}; {Repairs} repairs, {RepairBytes} bytes copied; {DropperHoldings} holdings on droppers");
}

/// <summary>
/// Present honest owners' trust in droppers and in honest peers (averaged over <see cref="Owners"/> owners), how many owners
/// trust the droppers they rate less, on average, than the honest peers they rate, and how many still give node 0 (the
/// bootstrap peer) a share of p.
/// </summary>
internal readonly record struct TrustView(double Dropper, double Honest, int Owners, int OwnersTrustingDroppersLess, int OwnersPreTrustingBootstrap);

/// <summary>What a <see cref="ChurnRun"/> measured.</summary>
internal sealed class ChurnResult(ChurnSettings settings)
{
    public ChurnSettings Settings => settings;

    public List<ChurnSample> Samples { get; } = [];

    public int Departures { get; set; }

    public int Repairs { get; set; }

    public int NewHolders { get; set; }

    public int PlacedByJoiners { get; set; }

    public int FailedPlacements { get; set; }

    public int DropperHoldingsAtStart { get; set; }

    /// <summary>Owners' copies kept on probation, released, and audits failed by holders on probation, summed over the nodes present at the end.</summary>
    public (long Kept, long Released, long Failures) Probation { get; set; }

    public int DropperHoldingsAtEnd { get; set; }

    /// <summary>Of <see cref="DropperHoldingsAtEnd"/>, those on malicious nodes that delete (model D's spies keep theirs).</summary>
    public int DeleterHoldingsAtEnd { get; set; }

    /// <summary>Every holding present owners' books list at the end.</summary>
    public int HoldingsAtEnd { get; set; }

    /// <summary>The holdings of the node listed most often in present owners' books at the end.</summary>
    public int BusiestHolderAtEnd { get; set; }

    /// <summary>The holdings present owners' books list on node 0 at the end (the bootstrap peer every node joined through and pre-trusts).</summary>
    public int BootstrapHoldingsAtEnd { get; set; }

    /// <summary>The busiest holder's holdings at the end over the mean per node (1 when every node holds as many).</summary>
    public double LoadConcentration => HoldingsAtEnd == 0 ? 0 : (double)BusiestHolderAtEnd * settings.Nodes / HoldingsAtEnd;

    /// <summary>Holders chosen for the shards placed at samples in the second half of the run: all, on malicious nodes, on malicious nodes that drop.</summary>
    public (int Holders, int OnMalicious, int OnDroppers) Measured { get; set; }

    /// <summary>Share of the second half's placements on malicious nodes (0 when nothing was measured).</summary>
    public double PlacedOnMaliciousShare => Measured.Holders == 0 ? 0 : (double)Measured.OnMalicious / Measured.Holders;

    /// <summary>Share of the holdings in present owners' books on malicious nodes at the end.</summary>
    public double HeldOnMaliciousShare => HoldingsAtEnd == 0 ? 0 : (double)DropperHoldingsAtEnd / HoldingsAtEnd;

    /// <summary>Share of the holdings in present owners' books on node 0, the bootstrap peer, at the end.</summary>
    public double HeldOnBootstrapShare => HoldingsAtEnd == 0 ? 0 : (double)BootstrapHoldingsAtEnd / HoldingsAtEnd;

    public TrustView Trust { get; set; }

    /// <summary>What node 0, everyone's bootstrap and pre-trusted peer, was: honest, or which kind of member.</summary>
    public string BootstrapRole { get; set; } = "honest";

    /// <summary>The lowest availability of present owners' shards over all samples.</summary>
    public double MinAvailability => Samples.Count == 0 ? 1 : Samples.Min(s => s.OwnedAvailability);

    /// <summary>Availability over all samples together: shards kept / shards owned, summed over samples.</summary>
    public double MeanAvailability => Samples.Sum(s => (double)s.Owned) is var owned and > 0 ? Samples.Sum(s => (double)s.OwnedKept) / owned : 1;

    /// <summary>Departures per node per hour over the measured time (0 without churn).</summary>
    public double ChurnPerHour => (double)Departures / settings.Nodes / settings.Duration.TotalHours;

    /// <summary>Shard bytes copied by repairs between the first sample and the last, per node per hour.</summary>
    public double RepairBytesPerNodeHour => PerNodeHour(s => s.RepairBytes);

    /// <summary>All bytes delivered on the network between the first sample and the last, per node per hour.</summary>
    public double NetworkBytesPerNodeHour => PerNodeHour(s => s.NetworkBytes);

    // Over the time between the first and the last sample, which is what the bytes were counted over: the last
    // sample usually falls one sample interval before the end of the run.
    private double PerNodeHour(Func<ChurnSample, long> total) =>
        Samples.Count < 2 || Samples[^1].At <= Samples[0].At
            ? 0
            : (total(Samples[^1]) - total(Samples[0])) / (double)settings.Nodes / (Samples[^1].At - Samples[0].At).TotalHours;
}
