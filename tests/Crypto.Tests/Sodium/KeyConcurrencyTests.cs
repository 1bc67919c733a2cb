using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Sodium;

public sealed class KeyConcurrencyTests
{
    [Fact]
    public void Sign_WhileAnotherThreadDisposes_EitherSignsOrThrowsObjectDisposed()
    {
        // The SafeHandle reference count keeps the memory alive for a call in flight; a call that starts
        // after Dispose sees ObjectDisposedException instead of reading freed memory.
        for (var round = 0; round < 20; round++)
        {
            var key = Key.Create(Algorithm.Ed25519);
            var publicKey = key.PublicKey!;
            var signed = 0;
            var refused = 0;
            var workers = new Task[2];
            using var start = new Barrier(workers.Length + 1);
            for (var w = 0; w < workers.Length; w++)
            {
                workers[w] = Task.Factory.StartNew(() =>
                {
                    var sig = new byte[64];
                    var message = new byte[16];
                    start.SignalAndWait(TestContext.Current.CancellationToken);
                    for (var i = 0; i < 200; i++)
                    {
                        try
                        {
                            Algorithm.Ed25519.Sign(key, message, sig);
                            Assert.True(Algorithm.Ed25519.Verify(publicKey, message, sig));
                            Interlocked.Increment(ref signed);
                        }
                        catch (ObjectDisposedException)
                        {
                            Interlocked.Increment(ref refused);
                        }
                    }
                }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            start.SignalAndWait(TestContext.Current.CancellationToken);
            key.Dispose();
            Task.WaitAll(workers, TestContext.Current.CancellationToken);
            Assert.Equal(workers.Length * 200, signed + refused);
        }
    }
}
