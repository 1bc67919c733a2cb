namespace Overlay.Transport;

/// <summary>
/// The accept loop every socket-backed listener runs: take the next incoming connection, hand it to
/// its own serving task, and keep going until the listener stops. A failed accept that the listener
/// calls transient ends that attempt only; stopping (cancellation or disposal) ends the loop.
/// </summary>
internal static class AcceptLoop
{
    /// <param name="accept">Waits for the next incoming connection.</param>
    /// <param name="serve">Starts serving one accepted connection; never awaited by the loop.</param>
    /// <param name="isTransient">Whether a failed accept should be skipped (after recording it) rather than end the loop.</param>
    /// <param name="stop">Cancelled when the listener stops.</param>
    public static async Task RunAsync<T>(
        Func<CancellationToken, ValueTask<T>> accept, Func<T, Task> serve, Func<Exception, bool> isTransient, CancellationToken stop)
    {
        // Leave the caller (the listener's constructor) before the first accept.
        await Task.Yield();
        while (!stop.IsCancellationRequested)
        {
            T connection;
            try
            {
                connection = await accept(stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex) when (isTransient(ex))
            {
                continue;
            }

            _ = serve(connection);
        }
    }
}
