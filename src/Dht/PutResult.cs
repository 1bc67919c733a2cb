using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>What became of a put.</summary>
/// <param name="StoredOn">Peers that accepted the record.</param>
/// <param name="Required">Peers that had to accept it for the put to succeed (see <see cref="DhtNode.RequiredReplicas"/>); 0 asks for one round without retries.</param>
/// <param name="Refusals">Every peer asked that did not accept it, with its last verdict.</param>
/// <param name="Rounds">Store rounds sent: 1, plus one per retry after a back-off.</param>
/// <param name="Local">This node's own verdict on keeping the record (<see cref="RecordRejection.None"/> for records from elsewhere, which it does not keep).</param>
public sealed record PutResult(int StoredOn, int Required, IReadOnlyList<StoreRefusal> Refusals, int Rounds, RecordRejection Local = RecordRejection.None)
{
    /// <summary>True when this node kept the record and at least <see cref="Required"/> peers accepted it.</summary>
    public bool Succeeded => Local == RecordRejection.None && StoredOn >= Required;

    /// <summary>How many refusals there were of each reason.</summary>
    public IReadOnlyDictionary<RecordRejection, int> RefusalCounts()
    {
        var counts = new SortedDictionary<RecordRejection, int>();
        foreach (var r in Refusals)
        {
            counts[r.Reason] = counts.GetValueOrDefault(r.Reason) + 1;
        }

        return counts;
    }
}
