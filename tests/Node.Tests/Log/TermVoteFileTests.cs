using RaftKV.Node.Log;

namespace RaftKV.Node.Tests.Log;

/// <summary>The term and vote file: atomic replacement, synced before Save returns, damage refused.</summary>
public sealed class TermVoteFileTests : IDisposable
{
    private readonly LogFolder _folder = new();

    [Fact]
    public void NothingSaved_LoadsTermZeroAndNoVote()
    {
        var (term, vote) = new TermVoteFile(_folder.Path).Load();
        Assert.Equal(0, term);
        Assert.Empty(vote);
    }

    [Fact]
    public void Saved_TermAndVote_SurviveANewInstance()
    {
        var file = new TermVoteFile(_folder.Path);
        file.Save(3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        file.Save(7, []);
        file.Save(8, [42, 43]);
        Assert.Equal(3, file.Saves);

        var (term, vote) = new TermVoteFile(_folder.Path).Load();
        Assert.Equal(8, term);
        Assert.Equal(new byte[] { 42, 43 }, vote);
        Assert.False(File.Exists(Path.Combine(_folder.Path, "term.tmp")));
    }

    [Fact]
    public void TornTemporaryFile_IsIgnoredAndDeleted_TheLastPublishedValueStays()
    {
        new TermVoteFile(_folder.Path).Save(5, [9]);
        var temporary = Path.Combine(_folder.Path, "term.tmp");
        File.WriteAllBytes(temporary, [0x52, 0x56, 0x4B]); // a crash while writing the next one

        var (term, vote) = new TermVoteFile(_folder.Path).Load();
        Assert.Equal(5, term);
        Assert.Equal(new byte[] { 9 }, vote);
        Assert.False(File.Exists(temporary));
    }

    [Fact]
    public void DamagedTermFile_RefusesToLoad()
    {
        new TermVoteFile(_folder.Path).Save(5, [9]);
        var path = Path.Combine(_folder.Path, "term");
        var bytes = File.ReadAllBytes(path);
        bytes[9] ^= 1;
        File.WriteAllBytes(path, bytes);
        Assert.Throws<LogCorruptedException>(() => new TermVoteFile(_folder.Path).Load());
    }

    public void Dispose() => _folder.Dispose();
}
