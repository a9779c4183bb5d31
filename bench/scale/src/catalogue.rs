//! A generated catalogue with a realistic spread: titles from patterns over
//! word lists (a tenth with accented or non-English words, so catalogue
//! order matters), authors drawn Zipf-like from 40,000 names (a few are
//! prolific, most have a book or two), genres Zipf-like from 30 (fiction
//! dominates, as in a real library), one book in ten without a genre.
//! Deterministic: the same count gives the same file.

use std::fmt::Write as _;

const ADJECTIVES: &[&str] = &[
    "Silent",
    "Northern",
    "Glass",
    "Paper",
    "Winter",
    "Hidden",
    "Last",
    "Amber",
    "Iron",
    "Salt",
    "Distant",
    "Quiet",
    "Burning",
    "Broken",
    "Golden",
    "Lost",
    "Secret",
    "Wild",
    "Little",
    "Dark",
    "Bright",
    "Forgotten",
    "Endless",
    "Crimson",
    "Hollow",
    "Sacred",
    "Bitter",
    "Gentle",
    "Savage",
    "Frozen",
    "Wandering",
    "Electric",
    "Ancient",
    "Restless",
    "Painted",
    "Velvet",
];
const NOUNS: &[&str] = &[
    "Garden",
    "Harbour",
    "Library",
    "Orchard",
    "Lantern",
    "Bridge",
    "Archive",
    "Season",
    "Mirror",
    "Country",
    "Engine",
    "Atlas",
    "Shelf",
    "Tide",
    "Forest",
    "Letter",
    "River",
    "Stone",
    "Crown",
    "House",
    "Road",
    "Island",
    "Daughter",
    "Kingdom",
    "Storm",
    "Sea",
    "Night",
    "City",
    "Song",
    "Fire",
    "Memory",
    "Machine",
    "Empire",
    "Winter",
    "Clockmaker",
    "Cartographer",
    "Witness",
    "Inheritance",
    "Labyrinth",
    "Orchestra",
];
const PLACES: &[&str] = &[
    "Avalon",
    "Kraków",
    "Zürich",
    "Reykjavík",
    "Málaga",
    "Århus",
    "Łódź",
    "Bogotá",
    "Kyōto",
    "Marrakesh",
    "Trondheim",
    "São Paulo",
    "Dubrovnik",
    "Ōsaka",
    "Île-de-France",
    "Göteborg",
];
const FOREIGN: &[&str] = &[
    "Éclair",
    "Ångström",
    "Straße",
    "Über",
    "Café",
    "Élan",
    "Øresund",
    "Æsop",
    "Œuvres",
    "Ça",
    "Été",
    "Ñandú",
    "Δῆλος",
    "Żywot",
    "Çiçek",
    "Ölüm",
    "Émile",
    "Ærø",
];
const FIRST: &[&str] = &[
    "Ursula",
    "Octavia",
    "Italo",
    "Jorge",
    "Toni",
    "Stanisław",
    "Chimamanda",
    "Kazuo",
    "Anna",
    "Haruki",
    "Zadie",
    "Orhan",
    "Olga",
    "José",
    "Margaret",
    "Gabriel",
    "Elena",
    "Salman",
    "Wisława",
    "Naguib",
    "Selma",
    "Halldór",
    "Ngũgĩ",
    "Clarice",
    "Yasunari",
    "Doris",
    "Nadine",
    "Imre",
    "Herta",
    "Mo",
    "Svetlana",
    "Kenzaburō",
    "Louise",
    "Annie",
    "Jon",
    "Abdulrazak",
    "Peter",
    "Alice",
    "Bob",
    "Chinua",
    "Isabel",
    "Mario",
    "Václav",
    "Astrid",
    "Tove",
    "Søren",
    "Björk",
    "Jean",
    "Émilie",
    "Zoë",
];
const LAST: &[&str] = &[
    "Le Guin",
    "Butler",
    "Calvino",
    "Borges",
    "Morrison",
    "Lem",
    "Adichie",
    "Ishiguro",
    "Akhmatova",
    "Murakami",
    "Smith",
    "Pamuk",
    "Tokarczuk",
    "Saramago",
    "Atwood",
    "García Márquez",
    "Ferrante",
    "Rushdie",
    "Szymborska",
    "Mahfouz",
    "Lagerlöf",
    "Laxness",
    "wa Thiong'o",
    "Lispector",
    "Kawabata",
    "Lessing",
    "Gordimer",
    "Kertész",
    "Müller",
    "Yan",
    "Alexievich",
    "Ōe",
    "Glück",
    "Ernaux",
    "Fosse",
    "Gurnah",
    "Handke",
    "Munro",
    "Achebe",
    "Allende",
    "Vargas Llosa",
    "Havel",
    "Lindgren",
    "Jansson",
    "Kierkegaard",
    "Guðmundsdóttir",
    "Rhys",
    "Châtelet",
    "Brontë",
    "Eliot",
    "Woolf",
    "Dostoevsky",
    "Tolstoy",
    "Čapek",
    "Hrabal",
    "Kundera",
    "Szabó",
    "Márai",
    "Sebald",
    "Bachmann",
    "Walser",
    "Zweig",
    "Mann",
    "Hesse",
    "Rilke",
    "Kafka",
    "Camus",
    "Sartre",
    "Duras",
    "Perec",
    "Queneau",
    "Eco",
    "Tabucchi",
    "Pessoa",
    "Cortázar",
    "Bolaño",
    "Neruda",
    "Paz",
    "Fuentes",
    "Rulfo",
];
const GENRES: &[&str] = &[
    "Fiction",
    "Mystery",
    "Science fiction",
    "Fantasy",
    "Romance",
    "Biography",
    "History",
    "Thriller",
    "Children's",
    "Poetry",
    "Young adult",
    "Horror",
    "Self-help",
    "Cooking",
    "Travel",
    "Science",
    "Philosophy",
    "Religion",
    "Art",
    "Music",
    "Drama",
    "Graphic novel",
    "Essays",
    "Business",
    "Politics",
    "Psychology",
    "Sports",
    "Nature",
    "Humour",
    "Reference",
];
/// Distinct authors.
const AUTHORS: u64 = 40_000;

/// splitmix64: small, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// A Zipf-like draw of a rank in `0..n` with exponent `s` (by inverting the
/// continuous approximation of its cumulative distribution).
fn zipf(rng: &mut Rng, n: u64, s: f64) -> u64 {
    let u = rng.unit();
    let n = n as f64;
    let rank = if (s - 1.0).abs() < 1e-9 {
        n.powf(u)
    } else {
        ((n.powf(1.0 - s) - 1.0) * u + 1.0).powf(1.0 / (1.0 - s))
    };
    (rank as u64).clamp(1, n as u64) - 1
}

/// One generated book: title, author, genre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The title.
    pub title: String,
    /// The author.
    pub author: String,
    /// The genre, if any.
    pub genre: Option<String>,
}

/// The `index`-th author's name (authors past the name lists' product get a
/// numeral, as libraries distinguish namesakes).
fn author(index: u64) -> String {
    let first = FIRST[(index % FIRST.len() as u64) as usize];
    let last = LAST[((index / FIRST.len() as u64) % LAST.len() as u64) as usize];
    let namesake = index / (FIRST.len() * LAST.len()) as u64;
    if namesake == 0 {
        format!("{first} {last}")
    } else {
        format!("{first} {last} {}", namesake + 1)
    }
}

fn title(rng: &mut Rng) -> String {
    let word = |rng: &mut Rng| {
        if rng.below(10) == 0 {
            rng.pick(FOREIGN)
        } else {
            rng.pick(NOUNS)
        }
    };
    match rng.below(8) {
        0 => format!("The {} {}", rng.pick(ADJECTIVES), word(rng)),
        1 => format!("{} of {}", word(rng), rng.pick(PLACES)),
        2 => format!("A {} for {}", word(rng), rng.pick(FIRST)),
        3 => format!("{} {}", rng.pick(ADJECTIVES), word(rng)),
        4 => format!(
            "The {} of the {} {}",
            word(rng),
            rng.pick(ADJECTIVES),
            word(rng)
        ),
        5 => format!("{} and {}", word(rng), word(rng)),
        6 => format!(
            "{}: a {} history",
            word(rng),
            rng.pick(ADJECTIVES).to_lowercase()
        ),
        _ => format!("{} {}", word(rng), 1 + rng.below(999)),
    }
}

/// The `count` books of the catalogue.
pub fn generate(count: usize) -> Vec<Generated> {
    let mut rng = Rng::new(18);
    (0..count)
        .map(|_| {
            let title = title(&mut rng);
            let author = author(zipf(&mut rng, AUTHORS, 0.75));
            let genre = (rng.below(10) != 0)
                .then(|| GENRES[zipf(&mut rng, GENRES.len() as u64, 1.0) as usize].to_owned());
            Generated {
                title,
                author,
                genre,
            }
        })
        .collect()
}

/// The books as JSON Lines, one `POST /books` body a line.
pub fn json_lines(books: &[Generated]) -> String {
    let mut out = String::with_capacity(books.len() * 96);
    for book in books {
        let line =
            serde_json::json!({"title": book.title, "author": book.author, "genre": book.genre});
        let _ = writeln!(out, "{line}");
    }
    out
}
