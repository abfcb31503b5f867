using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Tests.Training;

public class EpochOrderTests
{
    [Fact]
    public void Each_epoch_is_a_permutation_that_depends_only_on_seed_and_epoch()
    {
        int[] Order(long seed, int epoch)
        {
            var order = new int[1000];
            EpochOrder.Fill(seed, epoch, order);
            return order;
        }

        Assert.Equal(Enumerable.Range(0, 1000), Order(42, 3).Order());
        Assert.Equal(Order(42, 3), Order(42, 3));
        Assert.NotEqual(Order(42, 3), Order(42, 4));
        Assert.NotEqual(Order(42, 3), Order(43, 3));
        Assert.NotEqual(Enumerable.Range(0, 1000), Order(42, 1));
    }

    [Fact]
    public void Every_position_is_equally_likely_for_every_item()
    {
        // 20,000 shuffles of 4 items: each of the 16 (item, position) pairs should come up 5,000 ± a few hundred.
        var counts = new int[4, 4];
        var order = new int[4];
        for (int epoch = 1; epoch <= 20_000; epoch++)
        {
            EpochOrder.Fill(7, epoch, order);
            for (int position = 0; position < 4; position++)
            {
                counts[order[position], position]++;
            }
        }

        foreach (int count in counts)
        {
            Assert.InRange(count, 4700, 5300);
        }
    }
}
