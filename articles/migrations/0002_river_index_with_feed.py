# The river's date index also holds the feed: the river walks it newest first and keeps the stories of the
# feeds the reader follows, and with the feed in the index it does so without reading each story's row.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["-published_at", "-id", "feed"], name="article_river_feed_idx"),
        ),
        migrations.RemoveIndex(
            model_name="article",
            name="article_river_idx",
        ),
    ]
