using Overlay.Dht.Records;

namespace Overlay.Dht.Lookup;

/// <summary>Which of the records a FIND_VALUE collected it returns.</summary>
internal static class ValueSelection
{
    /// <summary>
    /// The record a FIND_VALUE returns from those it collected (in the order they came): the publisher key
    /// that most of them carry (on a tie, the one heard first), then that publisher's highest sequence.
    /// Anyone may sign a record under any key, so with a quorum a lone responder with a record of its own
    /// (and any sequence it likes) does not outvote the holders of the real one; holders that serve an
    /// older version of the real one lose to those that have the update.
    /// </summary>
    public static DhtRecord? Select(List<DhtRecord>? found)
    {
        if (found is null || found.Count == 0)
        {
            return null;
        }

        var bestVotes = 0;
        DhtRecord? best = null;
        for (var i = 0; i < found.Count; i++)
        {
            var votes = 0;
            DhtRecord? newest = null;
            for (var j = 0; j < found.Count; j++)
            {
                if (found[j].PublisherPublicKey.Span.SequenceEqual(found[i].PublisherPublicKey.Span))
                {
                    votes++;
                    newest = newest is null || found[j].Sequence > newest.Sequence ? found[j] : newest;
                }
            }

            if (votes > bestVotes)
            {
                bestVotes = votes;
                best = newest;
            }
        }

        return best;
    }
}
