using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Dht;

/// <summary>
/// Runs one request to a peer under <see cref="DhtOptions.RequestTimeout"/> on the injected clock and sorts
/// how it ended: answered, timed out, refused, answered badly, or unreachable. Only those are the peer's
/// doing; anything else thrown on the way (a <see cref="NullReferenceException"/>, an
/// <see cref="InvalidOperationException"/>) is a bug of this node and is rethrown, so it surfaces instead of
/// being charged to the peer as a failed request. The caller giving up rethrows its cancellation too.
/// </summary>
/// <remarks>
/// Outcomes go to the interaction seam from whoever knows them: the transport adapter
/// (<see cref="TransportDhtRpc"/>) reports what came back over the wire, with its bytes; the deadline
/// belongs to this runner, so the runner reports the timeouts.
/// </remarks>
internal sealed class DhtRequestRunner(IDhtRpc rpc, DhtOptions options, TimeProvider time, IInteractionObserver observer)
{
    /// <summary>The network the requests go over.</summary>
    public IDhtRpc Rpc => rpc;

    /// <summary>
    /// Sends <paramref name="call"/> to <paramref name="peer"/> and waits at most the request timeout
    /// (<see cref="Task.WaitAsync(CancellationToken)"/> bounds the wait even for an implementation that
    /// ignores its token).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired: that says nothing about the peer.</exception>
    public async Task<RequestAttempt<T>> RunAsync<T>(
        DhtPeer peer, string operation, Func<IDhtRpc, DhtPeer, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = time.GetTimestamp();
        try
        {
            var value = await call(rpc, peer, linked.Token).WaitAsync(linked.Token);
            return new RequestAttempt<T>(value, InteractionResult.Succeeded, time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our deadline fired (the caller's token did not): the peer did not answer in time.
            var elapsed = time.GetElapsedTime(started);
            observer.Observe(new InteractionOutcome(peer.Id, ProtocolIds.Dht, operation, InteractionResult.TimedOut, 0, 0, elapsed));
            return Failed<T>(InteractionResult.TimedOut, elapsed);
        }
        catch (DhtProtocolException e)
        {
            // An ERROR reply for a rate limit or an unknown version is the peer declining; the rest are bad answers.
            return Failed<T>(e.Outcome, time.GetElapsedTime(started), rateLimited: e.ErrorCode == DhtErrorCode.RateLimited);
        }
        catch (TransportException e)
        {
            return Failed<T>(e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable, time.GetElapsedTime(started));
        }
    }

    private static RequestAttempt<T> Failed<T>(InteractionResult result, TimeSpan elapsed, bool rateLimited = false) =>
        new(default, result, elapsed.TotalMilliseconds, rateLimited);
}
