using Microsoft.Data.Sqlite;
using Overlay.Storage;

namespace Overlay.Storage.Tests;

public sealed class OpenFailureTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "overlay-storage-open-" + Guid.NewGuid().ToString("N"));

    public OpenFailureTests() => Directory.CreateDirectory(_directory);

    private string DatabasePath => Path.Combine(_directory, SqliteShardStore.FileName);

    private StorageOptions Options => new() { Directory = _directory, ReaderCount = 1 };

    private StorageException OpenFails()
    {
        var e = Assert.Throws<StorageException>(() => SqliteShardStore.Open(Options));
        Assert.Equal(DatabasePath, e.FilePath);
        Assert.Contains(DatabasePath, e.Message);
        return e;
    }

    [Fact]
    public async Task Open_CreatingItsDirectory_MakesItOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only.");
        }

        var nested = Path.Combine(_directory, "shards");
        await SqliteShardStore.Open(new StorageOptions { Directory = nested, ReaderCount = 1 }).DisposeAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(nested));
    }

    [Fact]
    public void Open_OfTextFile_FailsWithNotADatabase()
    {
        File.WriteAllText(DatabasePath, "these are not the pages you are looking for, not even close to a header of a database");
        Assert.Equal(StorageErrorReason.NotADatabase, OpenFails().Reason);
    }

    [Fact]
    public async Task Open_OfSeededGarbageFiles_FailsOnlyWithStorageException()
    {
        var random = new Random(30);
        var header = "SQLite format 3\0"u8.ToArray();
        for (var i = 0; i < 40; i++)
        {
            var bytes = TempStore.RandomBytes(random, random.Next(1, 3 * 4096));
            if (i % 2 == 0 && bytes.Length > header.Length)
            {
                // Half the files carry a real header, so SQLite gets past the first check.
                header.CopyTo(bytes, 0);
            }

            File.WriteAllBytes(DatabasePath, bytes);
            File.Delete(DatabasePath + "-wal");
            File.Delete(DatabasePath + "-shm");
            try
            {
                await SqliteShardStore.Open(Options).DisposeAsync();
                Assert.Fail($"Garbage file {i} ({bytes.Length} bytes) opened as a store.");
            }
            catch (StorageException e)
            {
                Assert.Contains(DatabasePath, e.Message);
            }
        }
    }

    [Fact]
    public void Open_OfAnotherApplicationsDatabase_FailsWithForeignDatabase()
    {
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE contacts(name TEXT)";
            command.ExecuteNonQuery();
        }

        Assert.Equal(StorageErrorReason.ForeignDatabase, OpenFails().Reason);
    }

    [Fact]
    public async Task Open_OfNewerSchema_FailsWithNewerSchema()
    {
        await (SqliteShardStore.Open(Options)).DisposeAsync();
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            command.ExecuteNonQuery();
        }

        var e = OpenFails();
        Assert.Equal(StorageErrorReason.NewerSchema, e.Reason);
        Assert.Contains("99", e.Message);
    }

    [Fact]
    public async Task Open_WhileAnotherStoreHoldsIt_FailsWithLocked_AndSucceedsAfterClose()
    {
        var first = SqliteShardStore.Open(Options);
        Assert.Equal(StorageErrorReason.Locked, OpenFails().Reason);
        await first.DisposeAsync();
        await SqliteShardStore.Open(Options).DisposeAsync();
    }

    [Fact]
    public async Task Open_KeepsTheWalIndexInItsOwnMemory_NoSharedMemoryFile()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("The unix-excl VFS is Unix only.");
        }

        await using var store = SqliteShardStore.Open(Options);
        var put = await store.PutAsync(new byte[] { 1, 2, 3 }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(store.Contains(put.Id));
        Assert.True(File.Exists(DatabasePath + "-wal"));
        Assert.False(File.Exists(DatabasePath + "-shm"));
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("per%cent")]
    [InlineData("query?and#hash")]
    [InlineData("ünï")]
    public async Task Open_InADirectoryWhoseNameNeedsEscaping_StoresAndReadsBack(string name)
    {
        var options = new StorageOptions { Directory = Path.Combine(_directory, name), ReaderCount = 1 };
        var data = new byte[] { 4, 5, 6, 7 };
        ShardId id;
        await using (var store = SqliteShardStore.Open(options))
        {
            id = (await store.PutAsync(data, cancellationToken: TestContext.Current.CancellationToken)).Id;
        }

        Assert.True(File.Exists(Path.Combine(options.Directory, SqliteShardStore.FileName)));
        await using (var reopened = SqliteShardStore.Open(options))
        {
            var buffer = new byte[data.Length];
            Assert.Equal(ShardReadStatus.Found, reopened.Read(id, buffer).Status);
            Assert.Equal(data, buffer);
        }
    }

    [Fact]
    public void Open_UnderAFile_FailsWithCannotOpen()
    {
        var file = Path.Combine(_directory, "plain-file");
        File.WriteAllText(file, "x");
        var e = Assert.Throws<StorageException>(() => SqliteShardStore.Open(new StorageOptions { Directory = Path.Combine(file, "store") }));
        Assert.Equal(StorageErrorReason.CannotOpen, e.Reason);
        Assert.Contains(file, e.Message);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Open_InReadOnlyDirectory_FailsWithReadOnly()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Assert.Skip("Unix permissions are needed to make the directory read-only.");
        }

        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            if (Environment.UserName == "root" || IsWritable(_directory))
            {
                Assert.Skip("The current user (root) can write to a read-only directory, so there is nothing to observe.");
            }

            Assert.Equal(StorageErrorReason.ReadOnly, OpenFails().Reason);
        }
        finally
        {
            File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static bool IsWritable(string directory)
    {
        try
        {
            var probe = Path.Combine(directory, "probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
