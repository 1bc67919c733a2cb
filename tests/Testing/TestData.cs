namespace Overlay.Testing;

/// <summary>
/// Locates the official vectors and measured data in the shared <c>testdata</c> folder that sits
/// beside the repository (never copied into it). <c>OVERLAY_TESTDATA</c> overrides the search.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The absolute path of a file under the test-data folder, e.g. <c>blake3/test_vectors.json</c>.</summary>
    public static string PathOf(string relative)
    {
        var path = System.IO.Path.Combine(Root.Value, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException($"Test data file '{relative}' is missing under '{Root.Value}'.", path);
        }

        return path;
    }

    private static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("OVERLAY_TESTDATA");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        // Walk up from the test binary: the repository's parent holds shared/testdata.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "testdata");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            "No shared/testdata folder was found above " + AppContext.BaseDirectory + "; set OVERLAY_TESTDATA to its path.");
    }
}
