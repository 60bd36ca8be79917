# ruff: noqa: E501  (sentences are data: one a line)
"""German medical dictation (cardiology / internal medicine discharge letters).

Benchmark set for domain adaptation of Whisper in German: ``TERMS`` lists
words a general speech model tends to misspell (drug names, Latin and Greek
terminology, long compound words); ``TRAIN`` holds dictated sentences used
for fine-tuning and ``TEST`` holds held-out sentences that use the same terms
in new contexts.  TRAIN and TEST are disjoint (no sentence occurs in both and
TEST sentences are not near-copies of TRAIN sentences).  Sentences are
written as a typist would enter them: capitalised, punctuated, numbers as
words, no digits.
"""

LANGUAGE = "de"
DOMAIN = "medical"

TERMS = [
    "Vorhofflimmern",
    "Herzinsuffizienz",
    "Linksherzkatheter",
    "Koronarangiographie",
    "Echokardiographie",
    "Ejektionsfraktion",
    "Mitralklappeninsuffizienz",
    "Aortenklappenstenose",
    "Apixaban",
    "Bisoprolol",
    "Ramipril",
    "Torasemid",
    "Atorvastatin",
    "Clopidogrel",
    "Amiodaron",
    "Empagliflozin",
    "Sacubitril",
    "Metformin",
    "Pantoprazol",
    "Troponin",
    "Kreatinin",
    "Hypokaliämie",
    "Dyspnoe",
    "Pleuraerguss",
    "Unterschenkelödeme",
    "Sinusrhythmus",
    "Kardioversion",
    "Antikoagulation",
    "Stentimplantation",
    "Ramus interventricularis anterior",
    "Niereninsuffizienz",
    "Hypertonie",
    "Myokardinfarkt",
    "Thoraxschmerzen",
    "Schrittmacher",
    "Diabetes mellitus",
]

TRAIN = [
    "Der Patient stellte sich mit seit drei Tagen zunehmender Dyspnoe und Unterschenkelödemen beidseits vor.",
    "Im Aufnahme-EKG zeigte sich ein tachykardes Vorhofflimmern mit einer Frequenz von etwa hundertvierzig pro Minute.",
    "In der transthorakalen Echokardiographie fand sich eine hochgradig eingeschränkte linksventrikuläre Ejektionsfraktion.",
    "Die Ejektionsfraktion lag bei geschätzt fünfundzwanzig Prozent bei global reduzierter Pumpfunktion.",
    "Wir haben die Therapie der Herzinsuffizienz um Empagliflozin zehn Milligramm einmal täglich erweitert.",
    "Bei bekannter Herzinsuffizienz erfolgte eine Umstellung von Ramipril auf Sacubitril und Valsartan.",
    "Die diuretische Therapie mit Torasemid wurde auf zwanzig Milligramm morgens gesteigert.",
    "Unter Torasemid kam es zu einer deutlichen Gewichtsabnahme und Rückbildung der Unterschenkelödeme.",
    "Zur Antikoagulation bei Vorhofflimmern empfehlen wir Apixaban fünf Milligramm zweimal täglich.",
    "Eine dauerhafte Antikoagulation ist bei erhöhtem Schlaganfallrisiko weiterhin indiziert.",
    "Die Frequenzkontrolle erfolgte mit Bisoprolol, welches wir auf fünf Milligramm täglich aufdosierten.",
    "Bisoprolol sollte bei einer Herzfrequenz unter fünfzig Schlägen pro Minute pausiert werden.",
    "Das hochsensitive Troponin war bei Aufnahme deutlich erhöht und im Verlauf rückläufig.",
    "Laborchemisch zeigte das Troponin in der Verlaufskontrolle nach sechs Stunden keine relevante Dynamik.",
    "Das Kreatinin stieg unter der diuretischen Therapie vorübergehend auf zwei Komma eins an.",
    "Bei vorbestehender chronischer Niereninsuffizienz bitten wir um regelmäßige Kontrollen des Kreatinins.",
    "Es bestand eine ausgeprägte Hypokaliämie, die wir intravenös und oral substituiert haben.",
    "Wegen einer Hypokaliämie unter Torasemid wurde zusätzlich Kaliumchlorid verordnet.",
    "Röntgenologisch zeigte sich ein Pleuraerguss rechts mit angrenzenden Belüftungsstörungen.",
    "Der Pleuraerguss war unter diuretischer Therapie sonographisch deutlich regredient.",
    "Nach elektrischer Kardioversion konnte ein stabiler Sinusrhythmus hergestellt werden.",
    "Vor der geplanten Kardioversion wurde ein Thrombus im linken Vorhofohr transösophageal ausgeschlossen.",
    "Im Entlassungs-EKG zeigte sich ein normofrequenter Sinusrhythmus ohne Erregungsrückbildungsstörungen.",
    "Zur Rhythmuserhaltung wurde eine Therapie mit Amiodaron nach entsprechender Aufsättigung begonnen.",
    "Unter Amiodaron bitten wir um regelmäßige Kontrollen der Schilddrüsenwerte und der Leberwerte.",
    "Bei typischen Thoraxschmerzen erfolgte noch am Aufnahmetag eine Koronarangiographie.",
    "Die Koronarangiographie zeigte eine hochgradige Stenose des Ramus interventricularis anterior.",
    "Der Ramus interventricularis anterior wurde mit einem medikamentenbeschichteten Stent versorgt.",
    "Die Stentimplantation verlief komplikationslos mit gutem angiographischem Ergebnis.",
    "Nach Stentimplantation ist eine duale Plättchenhemmung mit Clopidogrel für sechs Monate erforderlich.",
    "Clopidogrel fünfundsiebzig Milligramm sollte ohne Rücksprache mit uns keinesfalls abgesetzt werden.",
    "Die Untersuchung mittels Linksherzkatheter erfolgte über die rechte Arteria radialis.",
    "Im Linksherzkatheter fanden sich keine hämodynamisch relevanten Stenosen der Herzkranzgefäße.",
    "Wir diagnostizierten einen akuten Myokardinfarkt ohne Hebung der ST-Strecke.",
    "Der Patient hatte vor fünf Jahren bereits einen Myokardinfarkt der Hinterwand erlitten.",
    "Die lipidsenkende Therapie mit Atorvastatin achtzig Milligramm wird unverändert fortgeführt.",
    "Atorvastatin sollte zur Sekundärprophylaxe dauerhaft und in unveränderter Dosis eingenommen werden.",
    "Es besteht eine mittelgradige Mitralklappeninsuffizienz bei dilatiertem linken Ventrikel.",
    "Die Mitralklappeninsuffizienz sollte in sechs Monaten echokardiographisch kontrolliert werden.",
    "Zusätzlich fand sich eine hochgradige Aortenklappenstenose mit deutlich reduzierter Klappenöffnungsfläche.",
    "Die Aortenklappenstenose wird im Herzteam hinsichtlich eines kathetergestützten Klappenersatzes besprochen.",
    "Bei arterieller Hypertonie wurde die antihypertensive Medikation mit Ramipril angepasst.",
    "Die arterielle Hypertonie war unter der bestehenden Medikation gut eingestellt.",
    "Der Diabetes mellitus Typ zwei wird mit Metformin tausend Milligramm zweimal täglich behandelt.",
    "Metformin wurde vor der Kontrastmittelgabe für achtundvierzig Stunden pausiert.",
    "Bei Diabetes mellitus und Herzinsuffizienz ist Empagliflozin prognostisch besonders vorteilhaft.",
    "Zum Magenschutz unter dualer Plättchenhemmung verordneten wir Pantoprazol vierzig Milligramm.",
    "Pantoprazol kann nach Beendigung der dualen Plättchenhemmung wieder abgesetzt werden.",
    "Wegen symptomatischer Bradykardie wurde ein Zweikammer-Schrittmacher komplikationslos implantiert.",
    "Die Abfrage des Schrittmachers ergab eine regelrechte Funktion und ausreichende Batteriekapazität.",
    "Sacubitril und Valsartan wurden in niedriger Dosierung begonnen und sollen langsam gesteigert werden.",
    "Ramipril wurde wegen eines trockenen Reizhustens abgesetzt und nicht wieder angesetzt.",
    "Apixaban wurde wegen der eingeschränkten Nierenfunktion in der Dosis reduziert.",
    "Die Niereninsuffizienz im Stadium drei erfordert eine Dosisanpassung mehrerer Medikamente.",
    "Die Dyspnoe besserte sich unter der Therapie deutlich, zuletzt bestand nur noch Belastungsdyspnoe.",
    "Die Thoraxschmerzen traten vor allem unter Belastung auf und sistierten in Ruhe rasch.",
    "In der Echokardiographie zeigte sich kein Perikarderguss und keine regionale Wandbewegungsstörung.",
    "Eine Kontrolle der Ejektionsfraktion empfehlen wir nach drei Monaten optimierter Therapie.",
    "Das Kreatinin lag bei Entlassung wieder im Normbereich, die Diurese war ausreichend.",
    "Die Unterschenkelödeme waren zum Zeitpunkt der Entlassung bereits vollständig rückläufig.",
    "Bei paroxysmalem Vorhofflimmern erfolgte zusätzlich ein Langzeit-EKG über vierundzwanzig Stunden.",
    "Die Kardioversion erfolgte in Kurznarkose mit einer einmaligen Schockabgabe von zweihundert Joule.",
    "Ein erneuter Pleuraerguss sollte in vier Wochen sonographisch ausgeschlossen werden.",
    "Die Hypokaliämie war nach oraler Substitution bei Entlassung vollständig ausgeglichen.",
    "Wir empfehlen, Amiodaron nach drei Monaten zu reduzieren und die Indikation kritisch zu überprüfen.",
    "Unter Bisoprolol und Apixaban zeigte sich ein stabiler Verlauf ohne Blutungskomplikationen.",
    "Nach der Stentimplantation war der Patient beschwerdefrei und auf Stationsebene gut mobil.",
    "Die Antikoagulation sollte vor geplanten Eingriffen in Absprache mit dem Operateur pausiert werden.",
    "Wir danken für die Zuweisung des Patienten zur weiteren kardiologischen Abklärung.",
    "Die stationäre Aufnahme erfolgte über die Notaufnahme bei akuter Luftnot in Ruhe.",
    "Anamnestisch berichtete die Patientin über nächtliche Atemnot und eine Gewichtszunahme von drei Kilogramm.",
    "Auskultatorisch fand sich ein raues Systolikum mit Fortleitung in die Karotiden.",
    "Die Lunge war seitengleich belüftet, basal waren feuchte Rasselgeräusche auskultierbar.",
    "Wir entlassen den Patienten heute in gebessertem Allgemeinzustand in die hausärztliche Weiterbehandlung.",
    "Eine kardiologische Rehabilitation wurde bereits beantragt und soll zeitnah beginnen.",
    "Bitte kontrollieren Sie die Elektrolyte und die Nierenwerte in einer Woche.",
    "Die Patientin wurde über die Zeichen einer kardialen Dekompensation ausführlich aufgeklärt.",
    "Eine tägliche Gewichtskontrolle wird empfohlen, bei rascher Zunahme soll umgehend ein Arzt aufgesucht werden.",
    "Die Trinkmenge sollte vorerst auf maximal eineinhalb Liter pro Tag begrenzt werden.",
    "Die Patientin klagte über retrosternale Thoraxschmerzen mit Ausstrahlung in den linken Arm.",
    "Bei Verdacht auf einen akuten Myokardinfarkt wurde die Patientin umgehend in das Katheterlabor gebracht.",
    "Der Schrittmacher wurde auf eine Grundfrequenz von sechzig Schlägen pro Minute programmiert.",
    "Bei bekannter Mitralklappeninsuffizienz war das Geräusch über der Herzspitze am lautesten.",
    "Die Aortenklappenstenose erklärt die belastungsabhängige Dyspnoe und die Schwindelattacken.",
    "Unter Sacubitril und Valsartan sind regelmäßige Kontrollen des Blutdrucks und des Kaliums erforderlich.",
    "Die Einstellung des Diabetes mellitus war mit einem Langzeitzuckerwert im Zielbereich zufriedenstellend.",
    "Metformin sollte bei einer weiteren Verschlechterung der Nierenfunktion abgesetzt werden.",
    "Empagliflozin kann zu Beginn der Therapie zu einem leichten Anstieg der Retentionswerte führen.",
    "Atorvastatin wurde aufgrund eines erhöhten Cholesterinwertes neu angesetzt.",
    "Pantoprazol wurde bei anamnestisch bekannter Refluxerkrankung in die Dauermedikation übernommen.",
    "Zur Abklärung der Herzinsuffizienz wurde ergänzend eine Kardio-Magnetresonanztomographie durchgeführt.",
    "Die Koronarangiographie ergab eine koronare Dreigefäßerkrankung mit Indikation zur Bypassoperation.",
    "Der Zugang für den Linksherzkatheter wurde mit einem Druckverband versorgt und war unauffällig.",
    "Die Echokardiographie zeigte eine konzentrische linksventrikuläre Hypertrophie bei langjähriger Hypertonie.",
    "Die Ejektionsfraktion hat sich unter optimierter Medikation auf vierzig Prozent verbessert.",
    "Bisoprolol wurde bei niedrigen Blutdruckwerten auf zweieinhalb Milligramm täglich reduziert.",
    "Clopidogrel wurde zusätzlich zu Acetylsalicylsäure für die Dauer von zwölf Monaten verordnet.",
    "Die Niereninsuffizienz war unter Flüssigkeitsgabe und Pause der Diuretika rückläufig.",
    "Die Dyspnoe wurde von der Patientin als Luftnot bereits bei leichter Belastung beschrieben.",
    "Die Unterschenkelödeme waren eindrückbar und reichten bis zur Mitte der Unterschenkel.",
    "Der Sinusrhythmus blieb während der gesamten Monitorüberwachung stabil.",
    "Ein Troponin-Anstieg wurde im Rahmen der hypertensiven Entgleisung als Typ-zwei-Infarkt gewertet.",
    "Bei Hypokaliämie und Vorhofflimmern ist eine engmaschige Kontrolle der Elektrolyte notwendig.",
    "Der Pleuraerguss wurde bei zunehmender Atemnot sonographisch gesteuert punktiert.",
    "Nach erfolgreicher Kardioversion ist die Antikoagulation für mindestens vier Wochen fortzuführen.",
    "Amiodaron kann zu Veränderungen der Schilddrüsenfunktion und der Lungenfunktion führen.",
    "Apixaban ist bei dem Patienten aufgrund einer früheren Blutung mit Vorsicht einzusetzen.",
    "Der Ramus interventricularis anterior war im proximalen Abschnitt hochgradig stenosiert.",
    "Die Stentimplantation erfolgte im Anschluss an die diagnostische Untersuchung in derselben Sitzung.",
    "Bei dem Patienten ist ein Myokardinfarkt mit nachfolgender Ischämie der Vorderwand dokumentiert.",
    "Die Thoraxschmerzen waren atemabhängig und lagebedingt, eine kardiale Ursache erscheint unwahrscheinlich.",
    "Die Hypertonie wurde bisher mit Ramipril und Amlodipin behandelt.",
    "Der Diabetes mellitus ist seit zehn Jahren bekannt und diätetisch nur unzureichend eingestellt.",
    "Die Funktion des Schrittmachers sollte in sechs Monaten in unserer Ambulanz kontrolliert werden.",
    "Das Kreatinin und das Kalium sollten nach jeder Dosissteigerung zeitnah kontrolliert werden.",
    "Torasemid kann bei stabilem Körpergewicht schrittweise reduziert werden.",
    "Die Aufnahme erfolgte bei kardial dekompensierter Herzinsuffizienz mit Orthopnoe.",
    "Die Mitralklappeninsuffizienz war nach Rekompensation nur noch leichtgradig ausgeprägt.",
    "Bei symptomatischer Aortenklappenstenose besteht eine Indikation zum Klappenersatz.",
    "Wir bitten um Wiedervorstellung in unserer Rhythmussprechstunde in drei Monaten.",
    "Eine Belastungsuntersuchung ist nach Abschluss der Rehabilitation vorgesehen.",
    "Der körperliche Untersuchungsbefund war bis auf eine leichte Halsvenenstauung unauffällig.",
    "Die Patientin ist über die Notwendigkeit einer regelmäßigen Medikamenteneinnahme aufgeklärt worden.",
    "Wir bitten um eine Kontrolle des kleinen Blutbildes und der Gerinnungswerte beim Hausarzt.",
    "Der weitere stationäre Verlauf gestaltete sich erfreulicherweise komplikationslos.",
    "In der Röntgenaufnahme des Thorax fanden sich Zeichen einer pulmonalvenösen Stauung.",
    "Die Medikation bei Entlassung ist der beigefügten Aufstellung zu entnehmen.",
    "Mit freundlichen kollegialen Grüßen verbleiben wir und stehen für Rückfragen gerne zur Verfügung.",
    "Die Sauerstoffsättigung lag unter Raumluft bei Aufnahme bei zweiundneunzig Prozent.",
    "Zur Verlaufskontrolle bitten wir um eine erneute Echokardiographie in sechs Monaten.",
]

TEST = [
    "Die Patientin berichtete über seit Wochen bestehende Dyspnoe beim Treppensteigen über zwei Etagen.",
    "Aufgrund eines neu aufgetretenen Vorhofflimmerns wurde die Patientin zur weiteren Abklärung aufgenommen.",
    "Die Echokardiographie ergab eine normale Pumpfunktion ohne Hinweis auf ein Vitium.",
    "Die Ejektionsfraktion ist im Vergleich zur Voruntersuchung im Frühjahr unverändert.",
    "Bei chronischer Herzinsuffizienz raten wir von nichtsteroidalen Antirheumatika dringend ab.",
    "Im Linksherzkatheter wurde zusätzlich der linksventrikuläre enddiastolische Druck gemessen.",
    "Eine erneute Koronarangiographie ist nur bei wiederkehrenden Beschwerden erforderlich.",
    "Eine hämodynamisch bedeutsame Mitralklappeninsuffizienz konnte in der Untersuchung sicher ausgeschlossen werden.",
    "Die Aortenklappenstenose ist seit der letzten Untersuchung deutlich progredient.",
    "Apixaban und Clopidogrel werden für einen Monat gemeinsam gegeben, danach nur noch Apixaban.",
    "Wir haben Bisoprolol am Abend vor der Untersuchung ausnahmsweise pausiert.",
    "Ramipril wird bei normalen Kaliumwerten auf fünf Milligramm täglich gesteigert.",
    "Torasemid bitte nur bei einer Gewichtszunahme von mehr als zwei Kilogramm zusätzlich einnehmen.",
    "Atorvastatin wurde wegen Muskelschmerzen auf zwanzig Milligramm reduziert.",
    "Amiodaron wurde wegen einer Überfunktion der Schilddrüse beendet.",
    "Empagliflozin soll bei fieberhaften Infekten oder geringer Nahrungsaufnahme vorübergehend pausiert werden.",
    "Sacubitril und Valsartan werden trotz niedrig normaler Blutdruckwerte gut vertragen.",
    "Metformin und Pantoprazol werden in der bisherigen Dosierung weiter eingenommen.",
    "Das Troponin war bei zwei Messungen im Abstand von drei Stunden negativ.",
    "Ein Anstieg von Kreatinin nach der Kontrastmittelgabe wurde bei dem Patienten nicht beobachtet.",
    "Die Hypokaliämie ist am ehesten auf die diuretische Therapie zurückzuführen.",
    "Ein kleiner Pleuraerguss links wurde ohne Punktion konservativ behandelt.",
    "Leichte Unterschenkelödeme bestehen bei venöser Insuffizienz bereits seit Jahren.",
    "Die elektrische Kardioversion war nach zwei Schockabgaben erfolgreich, seither besteht Sinusrhythmus.",
    "Eine Antikoagulation ist bei einem niedrigen Risikoprofil derzeit nicht erforderlich.",
    "Nach Stentimplantation in den Ramus interventricularis anterior sind die Beschwerden vollständig rückläufig.",
    "Die Niereninsuffizienz und die arterielle Hypertonie erfordern eine engmaschige hausärztliche Betreuung.",
    "Ein stattgehabter Myokardinfarkt wurde durch die Bildgebung nicht bestätigt.",
    "Bei erneuten Thoraxschmerzen soll sich der Patient sofort beim Rettungsdienst melden.",
    "Der Diabetes mellitus sowie der Schrittmacher sind bei der geplanten Operation zu berücksichtigen.",
]


if __name__ == "__main__":
    import difflib
    import re
    import sys

    problems = []
    print(f"{LANGUAGE}/{DOMAIN}: {len(TERMS)} terms, {len(TRAIN)} train, {len(TEST)} test")
    if len(set(TRAIN)) != len(TRAIN):
        problems.append("duplicate sentences in TRAIN")
    if len(set(TEST)) != len(TEST):
        problems.append("duplicate sentences in TEST")
    if len(set(t.lower() for t in TERMS)) != len(TERMS):
        problems.append("duplicate terms")
    overlap = set(TRAIN) & set(TEST)
    if overlap:
        problems.append(f"TRAIN and TEST overlap: {sorted(overlap)}")
    for term in TERMS:
        low = term.lower()
        n_train = sum(low in s.lower() for s in TRAIN)
        n_test = sum(low in s.lower() for s in TEST)
        if n_train < 2 or n_test < 1:
            problems.append(f"term {term!r}: {n_train} in TRAIN, {n_test} in TEST")
    for name, sentences in (("TRAIN", TRAIN), ("TEST", TEST)):
        for s in sentences:
            words = [w for w in s.split() if re.search(r"\w", w)]
            if re.search(r"\d", s):
                problems.append(f"{name} has a digit: {s!r}")
            if not 8 <= len(words) <= 18:
                problems.append(f"{name} has {len(words)} words: {s!r}")
            if not s[0].isupper() or s[-1] not in ".?" or "  " in s or s != s.strip():
                problems.append(f"{name} capitalisation/punctuation: {s!r}")
    for t in TEST:
        for s in TRAIN:
            ratio = difflib.SequenceMatcher(None, t.lower(), s.lower()).ratio()
            if ratio >= 0.75:
                problems.append(f"near-copy ({ratio:.2f}): {t!r} ~ {s!r}")
    print(f"train words {sum(len(s.split()) for s in TRAIN)}, test words {sum(len(s.split()) for s in TEST)}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("OK: TRAIN/TEST disjoint, every term twice in TRAIN and once in TEST, no digits")
