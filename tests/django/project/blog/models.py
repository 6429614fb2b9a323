"""The weblog of Django's "Making queries", plus the constructs a real
models.py has that Tabula's reader skips (a method, a property, a custom
manager, a custom field, a decorator)."""
import datetime

from django.db import models
from django.utils import timezone


class PublishedManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(rating__gte=1)


class UpperField(models.CharField):
    def get_prep_value(self, value):
        return value.upper()


class Blog(models.Model):
    name = models.CharField(max_length=100)
    tagline = models.TextField(default="")

    def __str__(self):
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)

    def __str__(self):
        return self.name


class Entry(models.Model):
    STATUS = [("d", "Draft"), ("p", "Published")]
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE)
    headline = models.CharField(max_length=255)
    body_text = models.TextField(default="")
    pub_date = models.DateField(default=datetime.date.today)
    mod_date = models.DateField(default=datetime.date.today)
    authors = models.ManyToManyField(Author)
    number_of_comments = models.IntegerField(default=0)
    number_of_pingbacks = models.IntegerField(default=0)
    rating = models.IntegerField(default=5)
    status = models.CharField(max_length=1, choices=STATUS, default="p")
    code = UpperField(max_length=10, blank=True)

    objects = models.Manager()
    published = PublishedManager()

    class Meta:
        ordering = ["-pub_date", "headline"]
        verbose_name_plural = "entries"

    def __str__(self):
        return self.headline

    @property
    def was_recent(self):
        return self.pub_date >= timezone.now().date() - datetime.timedelta(days=7)


class PublishedEntry(Entry):
    """A proxy: the same table, its own default order."""

    class Meta:
        proxy = True
        ordering = ["headline"]


class RecentEntry(Entry):
    """A proxy without a Meta.ordering: Entry's is inherited."""

    class Meta:
        proxy = True


class Comment(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE,
                              related_name="comments")
    author = models.ForeignKey(Author, on_delete=models.SET_NULL, null=True,
                               blank=True, related_query_name="remark")
    text = models.TextField()


class Stamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["name"]


class Tag(Stamped):
    name = models.CharField(max_length=50, unique=True)
    entries = models.ManyToManyField(Entry, related_name="tags", blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="children")
