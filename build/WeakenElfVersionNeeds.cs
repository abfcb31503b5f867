// Compiled twice: by MSBuild's RoslynCodeTaskFactory as the WeakenElfVersionNeeds task (see
// TorchSharpNativePatch.targets), and into FashionFunctions.Core (with ELF_PATCHER_WITHOUT_MSBUILD) so that the
// runtime can diagnose an unpatched library and the tests can exercise the same code.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace FashionFunctions.Build
{
    /// <summary>One version requirement (Vernaux entry) of an ELF shared object's .gnu.version_r section.</summary>
    public sealed class ElfVersionNeed
    {
        public ElfVersionNeed(string library, string version, bool isWeak, long flagsOffset)
        {
            Library = library;
            Version = version;
            IsWeak = isWeak;
            FlagsOffset = flagsOffset;
        }

        public string Library { get; }
        public string Version { get; }
        public bool IsWeak { get; }
        public long FlagsOffset { get; }
    }

    /// <summary>
    /// Reads and weakens version requirements of a 64-bit little-endian ELF file. Setting VER_FLG_WEAK on a
    /// requirement lets the dynamic linker load the library when the named version is missing; where the version
    /// exists the flag changes nothing.
    /// </summary>
    public static class ElfVersionNeeds
    {
        private const ushort VerFlagWeak = 0x2;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        public static IReadOnlyList<ElfVersionNeed> Read(string path)
        {
            byte[] elf = File.ReadAllBytes(path);
            return Read(elf, path);
        }

        /// <summary>Sets the weak flag on each requirement whose version is listed. Returns how many were changed;
        /// 0 when all were weak already (the file is then left untouched).</summary>
        public static int Weaken(string path, ICollection<string> versions)
        {
            var toChange = new List<ElfVersionNeed>();
            foreach (var need in Read(path))
            {
                if (!need.IsWeak && versions.Contains(need.Version))
                {
                    toChange.Add(need);
                }
            }

            if (toChange.Count == 0)
            {
                return 0;
            }

            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            var buffer = new byte[2];
            foreach (var need in toChange)
            {
                file.Position = need.FlagsOffset;
                ReadExactly(file, buffer);
                ushort flags = (ushort)(buffer[0] | (buffer[1] << 8));
                flags |= VerFlagWeak;
                buffer[0] = (byte)flags;
                buffer[1] = (byte)(flags >> 8);
                file.Position = need.FlagsOffset;
                file.Write(buffer, 0, 2);
            }

            return toChange.Count;
        }

        private static void ReadExactly(Stream stream, byte[] buffer)
        {
            int read = 0;
            while (read < buffer.Length)
            {
                int n = stream.Read(buffer, read, buffer.Length - read);
                if (n == 0)
                {
                    throw new EndOfStreamException();
                }

                read += n;
            }
        }

        private static IReadOnlyList<ElfVersionNeed> Read(byte[] elf, string path)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            {
                throw new InvalidDataException($"{path} is not an ELF file.");
            }

            if (elf[4] != 2 || elf[5] != 1)
            {
                throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file.");
            }

            long sectionHeaders = (long)U64(elf, 0x28, path);
            int sectionHeaderSize = U16(elf, 0x3A, path);
            int sectionCount = U16(elf, 0x3C, path);
            var needs = new List<ElfVersionNeed>();

            for (int i = 0; i < sectionCount; i++)
            {
                long header = sectionHeaders + (long)i * sectionHeaderSize;
                if (U32(elf, header + 4, path) != ShtGnuVerneed)
                {
                    continue;
                }

                long offset = (long)U64(elf, header + 0x18, path);
                uint linkedStrings = U32(elf, header + 0x28, path);
                uint entryCount = U32(elf, header + 0x2C, path);
                long strings = (long)U64(elf, sectionHeaders + linkedStrings * (long)sectionHeaderSize + 0x18, path);

                long verneed = offset;
                for (uint n = 0; n < entryCount; n++)
                {
                    int auxCount = U16(elf, verneed + 2, path);
                    string library = CString(elf, strings + U32(elf, verneed + 4, path), path);
                    long vernaux = verneed + U32(elf, verneed + 8, path);
                    for (int a = 0; a < auxCount; a++)
                    {
                        ushort flags = U16(elf, vernaux + 4, path);
                        string version = CString(elf, strings + U32(elf, vernaux + 8, path), path);
                        needs.Add(new ElfVersionNeed(library, version, (flags & VerFlagWeak) != 0, vernaux + 4));
                        vernaux += U32(elf, vernaux + 12, path);
                    }

                    verneed += U32(elf, verneed + 12, path);
                }
            }

            return needs;
        }

        private static void Check(byte[] elf, long offset, int length, string path)
        {
            if (offset < 0 || offset + length > elf.Length)
            {
                throw new InvalidDataException($"{path}: truncated or corrupt ELF (offset {offset}).");
            }
        }

        private static ushort U16(byte[] elf, long offset, string path)
        {
            Check(elf, offset, 2, path);
            return BitConverter.ToUInt16(elf, (int)offset);
        }

        private static uint U32(byte[] elf, long offset, string path)
        {
            Check(elf, offset, 4, path);
            return BitConverter.ToUInt32(elf, (int)offset);
        }

        private static ulong U64(byte[] elf, long offset, string path)
        {
            Check(elf, offset, 8, path);
            return BitConverter.ToUInt64(elf, (int)offset);
        }

        private static string CString(byte[] elf, long offset, string path)
        {
            Check(elf, offset, 1, path);
            long end = offset;
            while (end < elf.Length && elf[end] != 0)
            {
                end++;
            }

            return Encoding.ASCII.GetString(elf, (int)offset, (int)(end - offset));
        }
    }

#if !ELF_PATCHER_WITHOUT_MSBUILD
    /// <summary>MSBuild task: weakens the listed GLIBCXX version requirements in the given native libraries.</summary>
    public sealed class WeakenElfVersionNeeds : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        [Microsoft.Build.Framework.Required]
        public string Versions { get; set; } = string.Empty;

        public override bool Execute()
        {
            var versions = new HashSet<string>(Versions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries));
            foreach (var item in Files)
            {
                string path = item.GetMetadata("FullPath");
                int changed = ElfVersionNeeds.Weaken(path, versions);
                if (changed > 0)
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "Weakened {0} version requirement(s) ({1}) in {2} so it loads with older libstdc++.",
                        changed, Versions, path);
                }
            }

            return !Log.HasLoggedErrors;
        }
    }
#endif
}
