using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using Overlay.Node.Configuration;

namespace Overlay.Node.Tests.Configuration;

/// <summary>
/// The kind check reads each option's nullability through a cache that is built on first use. Checked from several
/// threads at once while that cache is cold (a node's first start beside a reload, parallel test classes), it must
/// neither fail nor corrupt the cache for later checks. Each attempt loads the node's assembly into a fresh load
/// context, so its statics, the cache among them, start cold.
/// </summary>
public sealed class ConfigurationCheckConcurrencyTests
{
    [Fact]
    public void Check_ColdOnEightThreadsAtOnce_GivesEveryThreadTheSameAnswer_AndLeavesTheCheckWorking()
    {
        using var defaults = JsonDocument.Parse(ConfigurationSources.EmbeddedDefaults(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = defaults.RootElement;
        for (var attempt = 0; attempt < 12; attempt++)
        {
            var context = new AssemblyLoadContext($"cold-check-{attempt}", isCollectible: true);
            try
            {
                var assembly = context.LoadFromAssemblyPath(typeof(ConfigurationTypes).Assembly.Location);
                var check = assembly.GetType(typeof(ConfigurationTypes).FullName!, throwOnError: true)!
                    .GetMethod(nameof(ConfigurationTypes.Check), BindingFlags.Public | BindingFlags.Static)!;
                var sections = assembly.GetType("Overlay.Node.Hosting.NodeHostFactory", throwOnError: true)!
                    .GetProperty("Sections", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

                using var start = new Barrier(8);
                var answers = Enumerable.Range(0, 8)
                    .Select(_ => Task.Factory.StartNew(
                        () =>
                        {
                            start.SignalAndWait(TimeSpan.FromSeconds(30));
                            return ((IReadOnlyList<string>)check.Invoke(null, [root, "node.config.json", sections])!).Count;
                        },
                        CancellationToken.None,
                        TaskCreationOptions.LongRunning,
                        TaskScheduler.Default))
                    .ToArray();
                Assert.True(Task.WaitAll(answers, TimeSpan.FromSeconds(60)), "the checks did not end within 60 s");
                Assert.All(answers, a => Assert.Equal(0, a.Result));
                Assert.Empty((IReadOnlyList<string>)check.Invoke(null, [root, "node.config.json", sections])!);
            }
            finally
            {
                context.Unload();
            }
        }
    }
}
