using FashionFunctions.Build;
using FashionFunctions.Core.Native;
using FashionFunctions.Core.Tests.Support;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Tests.Native;

public class TorchSharpNativeTests
{
    private const string Glibcxx332 = "GLIBCXX_3.4.32";

    [Fact]
    public void TorchSharp_loads_and_computes_on_this_machine()
    {
        TorchRuntime.EnsureAvailable();
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }

    [Fact]
    public void The_build_weakened_the_copy_in_the_output_folder_only()
    {
        string copied = Directory.EnumerateFiles(AppContext.BaseDirectory, TorchRuntime.NativeLibraryName, SearchOption.AllDirectories).Single();
        Assert.True(ElfVersionNeeds.Read(copied).Single(n => n.Version == Glibcxx332).IsWeak);
        Assert.False(ElfVersionNeeds.Read(RepoPaths.OriginalTorchSharpNative).Single(n => n.Version == Glibcxx332).IsWeak);
    }

    [Fact]
    public void Weakening_sets_one_flag_bit_and_is_idempotent()
    {
        using var temp = new TempDirectory();
        string copy = temp.File(TorchRuntime.NativeLibraryName);
        File.Copy(RepoPaths.OriginalTorchSharpNative, copy);
        byte[] original = File.ReadAllBytes(copy);

        Assert.Equal(1, ElfVersionNeeds.Weaken(copy, [Glibcxx332]));
        byte[] once = File.ReadAllBytes(copy);
        Assert.Equal(0, ElfVersionNeeds.Weaken(copy, [Glibcxx332]));
        byte[] twice = File.ReadAllBytes(copy);

        Assert.Equal(once, twice);
        Assert.Equal(original.Length, once.Length);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != once[i]).ToList();
        Assert.Single(changed); // the low byte of one vna_flags field gains VER_FLG_WEAK
        Assert.Equal(original[changed[0]] | 0x2, once[changed[0]]);
        Assert.All(ElfVersionNeeds.Read(copy).Where(n => n.Version != Glibcxx332), n => Assert.False(n.IsWeak));
    }

    [Fact]
    public void Reading_a_non_elf_file_fails_clearly()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("x.so"), "not an elf file at all, but long enough to have a header of sixty-four bytes.");
        Assert.Contains("not an ELF file", Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(temp.File("x.so"))).Message);
    }

    [Fact]
    public void A_failed_load_explains_the_unpatched_library_and_the_fix()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("runtimes/linux-x64/native"));
        File.Copy(RepoPaths.OriginalTorchSharpNative, temp.File("runtimes/linux-x64/native/" + TorchRuntime.NativeLibraryName));
        var thrown = TorchRuntime.Probe(() => throw new TypeInitializationException("TorchSharp.torch",
            new NotSupportedException("The libtorch-cpu native component could not be loaded.")));

        var explained = TorchRuntime.Explain(thrown!, temp.Path);

        Assert.Contains("could not be loaded", explained.Message);
        Assert.Contains(Glibcxx332, explained.Message);
        Assert.Contains("dotnet build", explained.Message);
        Assert.DoesNotContain('\n', explained.Message);
    }

    [Fact]
    public void A_patched_folder_gets_generic_advice()
    {
        Assert.Null(TorchRuntime.DescribeUnpatchedLibrary(AppContext.BaseDirectory));
    }
}
