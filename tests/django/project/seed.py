#!/usr/bin/env python3
"""Builds the test project's database: Django's migrate, then rows written
through the ORM. Usage: seed.py DB_PATH (an existing file is replaced),
or seed.py postgresql://USER@HOST:PORT/DB (its public schema is dropped
and made again first)."""
import datetime
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
if sys.argv[1].startswith("postgresql://"):
    os.environ["TABULA_DJANGO_PG"] = sys.argv[1]
    import psycopg2
    with psycopg2.connect(sys.argv[1]) as c, c.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
else:
    os.environ["TABULA_DJANGO_DB"] = os.path.abspath(sys.argv[1])
    if os.path.exists(sys.argv[1]):
        os.remove(sys.argv[1])

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402

django.setup()
call_command("migrate", verbosity=0)

from blog.models import Author, Blog, Comment, Entry, Tag  # noqa: E402
from shop.models import Author as BookAuthor  # noqa: E402
from shop.models import (Book, Category, Customer, Order,  # noqa: E402
                         OrderItem, Product)

d = datetime.date
beatles = Blog.objects.create(name="Beatles Blog", tagline="All the latest Beatles news.")
cheese = Blog.objects.create(name="Cheddar Talk", tagline="Cheese, mostly.")
pop = Blog.objects.create(name="Pop Weekly", tagline="")
lennon = Author.objects.create(name="John Lennon", email="john@beatles.example")
paul = Author.objects.create(name="Paul McCartney", email="paul@beatles.example")
joe = Author.objects.create(name="Joe", email="joe@cheese.example")
Author.objects.create(name="Nobody", email="")
entries = [
    (beatles, "Lennon speaks", d(2005, 3, 1), [lennon], 12, 3, 5),
    (beatles, "Paul's new album", d(2005, 7, 14), [paul], 4, 0, 4),
    (beatles, "Together again", d(2006, 1, 2), [lennon, paul], 30, 7, 5),
    (cheese, "Cheddar headlines", d(2005, 11, 20), [joe], 0, 1, 3),
    (cheese, "Brie or not brie", d(2007, 5, 5), [joe, paul], 2, 2, 2),
    (pop, "Charts", d(2008, 2, 29), [], 1, 0, 1),
]
made = []
for blog, headline, date, authors, comments, pings, rating in entries:
    e = Entry.objects.create(blog=blog, headline=headline, pub_date=date,
                             mod_date=date, number_of_comments=comments,
                             number_of_pingbacks=pings, rating=rating,
                             body_text=headline.lower())
    e.authors.set(authors)
    made.append(e)
Comment.objects.create(entry=made[0], author=paul, text="Great")
Comment.objects.create(entry=made[0], author=None, text="Anonymous")
Comment.objects.create(entry=made[2], author=lennon, text="Thanks")
Comment.objects.create(entry=made[4], author=joe, text="Brie!")
music = Tag.objects.create(name="music")
Tag.objects.create(name="rock", parent=music)
food = Tag.objects.create(name="food")
music.entries.set([made[0], made[1], made[2]])
food.entries.set([made[3], made[4]])

books = Category.objects.create(name="Books")
records = Category.objects.create(name="Records")
Category.objects.create(name="Empty")
tolkien = BookAuthor.objects.create(name="Tolkien")
austen = BookAuthor.objects.create(name="Austen")
hobbit = Book.objects.create(name="The Hobbit", price="12.50", category=books,
                             author=tolkien, isbn="9780261103344")
Book.objects.create(name="Emma", price="14.99", category=books, author=austen,
                    isbn="9780141439587")
abbey = Product.objects.create(name="Abbey Road", price="20.00", category=records)
rubber = Product.objects.create(name="Rubber Soul", price="18.00", category=records)
ann = Customer.objects.create(name="Ann", city="Paris")
bob = Customer.objects.create(name="Bob", city="Lyon")
Customer.objects.create(name="Cid", city="Paris")
o1 = Order.objects.create(customer=ann, placed=d(2024, 1, 5))
o2 = Order.objects.create(customer=ann, placed=d(2024, 2, 9))
o3 = Order.objects.create(customer=bob, placed=d(2024, 3, 1))
OrderItem.objects.create(order=o1, product=hobbit, quantity=1)
OrderItem.objects.create(order=o1, product=abbey, quantity=2)
OrderItem.objects.create(order=o2, product=abbey, quantity=1)
OrderItem.objects.create(order=o3, product=hobbit, quantity=3)
