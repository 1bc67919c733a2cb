using System.Collections.Concurrent;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// Reports the outcomes of one committed batch on a thread-pool thread, so the writer thread goes
/// straight on to the next transaction and a batch of a thousand puts costs one hand-off instead of
/// a thousand. Pooled: it returns itself to <paramref name="pool"/> once every caller was told.
/// </summary>
internal sealed class BatchCompletion(ConcurrentQueue<BatchCompletion> pool, ShardStoreMetrics metrics, int capacity) : IThreadPoolWorkItem
{
    private WriteOperation[] _operations = new WriteOperation[capacity];
    private int _count;

    /// <summary>Copies the batch's operations; the writer then clears and reuses its list.</summary>
    public void Take(List<WriteOperation> batch)
    {
        if (_operations.Length < batch.Count)
        {
            _operations = new WriteOperation[batch.Count];
        }

        batch.CopyTo(_operations);
        _count = batch.Count;
    }

    public void Execute()
    {
        // Counted before anyone hears back, so a caller that reads the counters after its put sees it.
        long stored = 0, duplicate = 0, quota = 0, ownerQuota = 0;
        for (var i = 0; i < _count; i++)
        {
            if (_operations[i] is PutOperation put)
            {
                switch (put.Outcome)
                {
                    case PutOutcome.Stored:
                        stored++;
                        break;
                    case PutOutcome.AlreadyStored:
                        duplicate++;
                        break;
                    case PutOutcome.QuotaExceeded:
                        quota++;
                        break;
                    case PutOutcome.OwnerQuotaExceeded:
                        ownerQuota++;
                        break;
                }
            }
        }

        var puts = metrics.Puts;
        if (stored > 0)
        {
            puts.Add(stored, new KeyValuePair<string, object?>("result", "stored"));
        }

        if (duplicate > 0)
        {
            puts.Add(duplicate, new KeyValuePair<string, object?>("result", "duplicate"));
        }

        if (quota > 0)
        {
            puts.Add(quota, new KeyValuePair<string, object?>("result", "quota"));
        }

        if (ownerQuota > 0)
        {
            puts.Add(ownerQuota, new KeyValuePair<string, object?>("result", "owner_quota"));
        }

        for (var i = 0; i < _count; i++)
        {
            var operation = _operations[i];
            _operations[i] = null!;
            // Operations that failed in the one-by-one retry were told already (a second
            // completion of their task source is a no-op; failed puts report their staged error).
            operation.Complete();
        }

        _count = 0;
        pool.Enqueue(this);
    }
}
