using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>
/// This node's single provider announcements (docs/PROTOCOL.md, "Provider record (kind 2)"): announcing and
/// remembering them, repeating them when due, finding the providers of a key, and the STOREs they take.
/// </summary>
public sealed partial class DhtNode
{
    /// <summary>
    /// Announces this node as a provider of <paramref name="key"/> to the k closest peers; returns how many
    /// accepted. The node remembers the announcement (saved with <see cref="SnapshotProviders"/>) and
    /// repeats it every <see cref="DhtOptions.RepublishInterval"/> in maintenance.
    /// </summary>
    public async Task<int> AddProviderAsync(PeerId key, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var record = SignProvider(key, now + _options.RecordTtl);
        var saved = RememberAnnouncement(record, now);
        var announced = AnnounceAsync(record, cancellationToken);
        await Task.WhenAll(saved, announced);
        return await announced;
    }

    private async Task<int> AnnounceAsync(ProviderRecord record, CancellationToken cancellationToken)
    {
        var key = record.Key;
        var closest = await _client.FindClosestAsync(key, cancellationToken);
        var stores = new Task<RecordRejection>[closest.Closest.Count];
        for (var i = 0; i < stores.Length; i++)
        {
            stores[i] = StoreProviderAsync(closest.Closest[i], record, cancellationToken);
        }

        var accepted = 0;
        foreach (var verdict in await Task.WhenAll(stores))
        {
            accepted += verdict == RecordRejection.None ? 1 : 0;
        }

        return accepted;
    }

    /// <summary>
    /// The providers of <paramref name="key"/> held by the k closest peers, each provider once; a peer slow to
    /// answer is waited for no longer than a lookup would wait for it (<see cref="DhtClient.FindProvidersAsync"/>).
    /// </summary>
    public Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(PeerId key, CancellationToken cancellationToken) =>
        _client.FindProvidersAsync(key, cancellationToken);

    /// <summary>Repeats this node's own provider announcements that are due, each with a fresh expiry; returns how many.</summary>
    private async Task<int> ReannounceDueProvidersAsync(CancellationToken cancellationToken)
    {
        var due = new List<ProviderRecord>();
        var now = _time.GetUtcNow();
        using (_store.Enter(out var store))
        {
            store.CollectAnnouncementsDue(now, due);
        }

        foreach (var old in due)
        {
            var record = SignProvider(old.Key, now + _options.RecordTtl);
            await RememberAnnouncement(record, now);
            await AnnounceAsync(record, cancellationToken);
        }

        return due.Count;
    }

    // Keeps an own announcement for re-announcing and saves it; the returned task completes when it is saved.
    // Queued under the store's lock, so the journal sees a key's announcements in the order the store did.
    private Task RememberAnnouncement(ProviderRecord record, DateTimeOffset now)
    {
        using (_store.Enter(out var store))
        {
            return store.AddAnnounced(record, now, now) == RecordRejection.None
                ? Journal(DhtStateChange.StoreProvider(new SavedProvider(record, AnnouncedLocally: true)))
                : Task.CompletedTask;
        }
    }

    private Task<RecordRejection> StoreProviderAsync(DhtPeer peer, ProviderRecord record, CancellationToken cancellationToken) =>
        StoreOnAsync(peer, DhtOperations.StoreProvider, (rpc, p, ct) => rpc.StoreProviderAsync(p, record, ct), cancellationToken);

    // A provider STORE's verdict; not answering, or answering badly, counts against the peer like any failed request.
    private async Task<RecordRejection> StoreOnAsync(
        DhtPeer peer, string operation, Func<IDhtRpc, DhtPeer, CancellationToken, Task<RecordRejection>> call, CancellationToken cancellationToken)
    {
        var store = await _requests.RunAsync(peer, operation, call, cancellationToken);
        if (store.Answered)
        {
            return store.Value;
        }

        Failed(peer.Id);
        return RecordRejection.NoAnswer;
    }

    private void Failed(PeerId peer)
    {
        using (_table.Enter(out var table))
        {
            table.OnRequestFailed(peer, _time.GetUtcNow());
        }
    }

    // One signature per announcement (docs/PROTOCOL.md, "Provider record (kind 2)"): with a hybrid key about 3.4 KB.
    private ProviderRecord SignProvider(PeerId key, DateTimeOffset expires) =>
        ProviderRecord.Create(key, Id, expires.ToUnixTimeMilliseconds(), _identity.PublicKey.Encoded, payload => _identity.Sign(payload));
}
