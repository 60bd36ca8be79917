# ruff: noqa: E501  (sentences are data: one a line)
"""Spanish technical dictation (software, networks, industrial maintenance).

Benchmark set for domain adaptation of Whisper in Spanish: ``TERMS`` lists
technical words and product-like names a general speech model tends to
misspell or not know (network equipment, infrastructure software, plant
maintenance vocabulary); ``TRAIN`` holds dictated sentences used for
fine-tuning and ``TEST`` holds held-out sentences that use the same terms in
new contexts.  TRAIN and TEST are disjoint (no sentence occurs in both and
TEST sentences are not near-copies of TRAIN sentences).  Sentences are
written as a typist would enter them: capitalised, punctuated, numbers as
words, no digits.
"""

LANGUAGE = "es"
DOMAIN = "technical"

TERMS = [
    "cortafuegos",
    "enrutador",
    "conmutador",
    "proxy inverso",
    "balanceador de carga",
    "máquina virtual",
    "contenedor",
    "Kubernetes",
    "base de datos",
    "copia de seguridad",
    "dirección IP",
    "VLAN",
    "latencia",
    "ancho de banda",
    "certificado TLS",
    "autenticación de doble factor",
    "variador de frecuencia",
    "autómata programable",
    "rodamiento",
    "lubricación",
    "termografía",
    "análisis de vibraciones",
    "mantenimiento preventivo",
    "mantenimiento predictivo",
    "orden de trabajo",
    "compresor",
    "junta tórica",
    "SCADA",
    "repositorio",
    "despliegue",
    "microservicios",
    "punto de acceso",
    "fibra óptica",
    "cuadro eléctrico",
    "parada programada",
    "firmware",
]

TRAIN = [
    "Hemos añadido una regla en el cortafuegos para bloquear el tráfico entrante por el puerto de administración.",
    "El cortafuegos perimetral registra cada intento de conexión rechazado en el servidor de registros.",
    "El enrutador principal de la oficina se reinició anoche por un corte de suministro eléctrico.",
    "Conviene actualizar la tabla de rutas del enrutador antes de conectar la nueva sede.",
    "El conmutador de la planta baja tiene todos los puertos ocupados y necesitamos ampliarlo.",
    "Cada puerto del conmutador está asignado a una VLAN distinta según el departamento.",
    "El proxy inverso reenvía las peticiones externas hacia los servidores de aplicaciones internos.",
    "Configuramos el proxy inverso para que termine el cifrado y añada las cabeceras de seguridad.",
    "El balanceador de carga reparte las peticiones entre tres servidores web idénticos.",
    "Si un nodo no responde, el balanceador de carga lo retira automáticamente del grupo.",
    "La máquina virtual de pruebas se quedó sin espacio en disco durante la actualización.",
    "Cada máquina virtual tiene asignados cuatro núcleos y dieciséis gigas de memoria.",
    "El contenedor de la aplicación se reinicia en bucle porque no encuentra la variable de entorno.",
    "Hemos reducido el tamaño del contenedor eliminando las dependencias de compilación.",
    "El clúster de Kubernetes escala automáticamente los pods cuando sube el uso de procesador.",
    "En Kubernetes definimos los recursos mediante manifiestos guardados en el repositorio del proyecto.",
    "La base de datos de producción se replica en tiempo real a un segundo centro de datos.",
    "Antes de migrar la base de datos hay que detener todas las escrituras de la aplicación.",
    "La copia de seguridad nocturna terminó con errores y hay que revisarla esta mañana.",
    "Cada semana restauramos una copia de seguridad completa para comprobar que es válida.",
    "El servidor de impresión tiene una dirección IP fija reservada en el servidor de nombres.",
    "Se ha detectado un conflicto porque dos equipos tenían asignada la misma dirección IP.",
    "Los teléfonos de voz sobre internet van en una VLAN separada de la red de oficina.",
    "Hay que etiquetar la VLAN de gestión en el enlace troncal entre ambos armarios.",
    "La latencia entre las dos sedes supera los ochenta milisegundos en horas punta.",
    "Para reducir la latencia hemos desplegado una réplica de lectura cerca de los usuarios.",
    "El enlace de respaldo no tiene suficiente ancho de banda para las videoconferencias.",
    "El consumo de ancho de banda se disparó durante la sincronización de los portátiles.",
    "El certificado TLS del portal de clientes caduca dentro de diez días.",
    "Hemos automatizado la renovación del certificado TLS en todos los servidores públicos.",
    "A partir del lunes será obligatoria la autenticación de doble factor para el correo.",
    "La autenticación de doble factor se configura con una aplicación en el teléfono móvil.",
    "El variador de frecuencia de la bomba principal muestra una alarma de sobretensión.",
    "Ajustamos la rampa de aceleración del variador de frecuencia para evitar golpes de ariete.",
    "El autómata programable de la línea dos ha perdido la comunicación con el panel de operador.",
    "Hemos cargado una nueva versión del programa en el autómata programable durante el turno de noche.",
    "El rodamiento del lado acoplado del motor presenta un ruido anormal y temperatura elevada.",
    "Se sustituyó el rodamiento del ventilador de extracción porque tenía holgura excesiva.",
    "La lubricación de las cadenas del transportador debe hacerse cada cuarenta horas de funcionamiento.",
    "Una lubricación insuficiente acelera el desgaste de los engranajes del reductor.",
    "La termografía del cuadro eléctrico mostró un punto caliente en la conexión de una fase.",
    "Programaremos una termografía de todos los cuadros de baja tensión antes del verano.",
    "El análisis de vibraciones indica un desalineamiento entre el motor y la bomba.",
    "Gracias al análisis de vibraciones detectamos el fallo del rodamiento con semanas de antelación.",
    "El plan de mantenimiento preventivo incluye la revisión mensual de los filtros de aire.",
    "El mantenimiento preventivo de las carretillas elevadoras se hace cada quinientas horas.",
    "Estamos implantando mantenimiento predictivo con sensores de temperatura y vibración en los motores.",
    "El mantenimiento predictivo nos permite cambiar piezas solo cuando realmente lo necesitan.",
    "Abre una orden de trabajo para cambiar la correa de la cinta número tres.",
    "La orden de trabajo quedó cerrada sin indicar las piezas de repuesto utilizadas.",
    "El compresor de aire se para por alta temperatura cuando la sala no está ventilada.",
    "Hay que purgar el agua acumulada en el calderín del compresor todos los días.",
    "La fuga de aceite venía de una junta tórica deteriorada en la tapa del filtro.",
    "Sustituimos la junta tórica del cilindro neumático por una de material más resistente.",
    "El sistema SCADA muestra en tiempo real el estado de todas las bombas de la estación.",
    "Las alarmas críticas del SCADA se envían también por mensaje a los técnicos de guardia.",
    "Sube los cambios a una rama nueva del repositorio y abre una solicitud de revisión.",
    "El repositorio central contiene también los scripts de configuración de los servidores.",
    "El despliegue de la nueva versión se hará el jueves fuera del horario comercial.",
    "Si el despliegue falla, el sistema vuelve automáticamente a la versión anterior.",
    "La aplicación se ha dividido en microservicios que se comunican mediante colas de mensajes.",
    "Cada uno de los microservicios tiene su propia base de datos y su propio equipo responsable.",
    "El punto de acceso del almacén no da cobertura suficiente en la zona de carga.",
    "Hemos instalado un segundo punto de acceso inalámbrico en la sala de reuniones grande.",
    "El enlace de fibra óptica entre las dos naves se cortó durante las obras del aparcamiento.",
    "Las bandejas de fibra óptica del armario principal están correctamente etiquetadas.",
    "Antes de abrir el cuadro eléctrico hay que consignar la instalación y comprobar ausencia de tensión.",
    "El cuadro eléctrico de la línea de envasado necesita un interruptor diferencial nuevo.",
    "Aprovecharemos la parada programada de agosto para revisar las calderas y las bombas.",
    "Durante la parada programada se cambiarán todos los rodamientos de los ventiladores.",
    "El fabricante ha publicado un firmware que corrige una vulnerabilidad grave del equipo.",
    "Actualizamos el firmware de los conmutadores de acceso uno por uno para no cortar el servicio.",
    "El cortafuegos de nueva generación inspecciona el tráfico cifrado de los usuarios.",
    "El enrutador de la sucursal negocia el túnel cifrado con la sede central cada noche.",
    "El proxy inverso también almacena en caché las imágenes y las hojas de estilo.",
    "Hemos duplicado el balanceador de carga para eliminar el punto único de fallo.",
    "La máquina virtual del controlador de dominio se migró a otro servidor físico sin parada.",
    "El contenedor de la base de datos guarda los datos en un volumen persistente.",
    "El equipo de plataforma mantiene tres clústeres de Kubernetes en dos regiones distintas.",
    "La copia de seguridad de la base de datos se guarda cifrada en un almacenamiento externo.",
    "Comprueba la dirección IP de la pasarela antes de cambiar la configuración de red.",
    "La latencia de las consultas aumentó después de actualizar el motor de búsqueda.",
    "Vamos a contratar más ancho de banda para el centro de datos secundario.",
    "El navegador muestra un aviso porque el certificado TLS no coincide con el nombre del dominio.",
    "La autenticación de doble factor también se exigirá para el acceso remoto por red privada.",
    "Cuando falla el variador de frecuencia, el motor arranca directamente con un pico de corriente.",
    "El autómata programable recibe las señales de los sensores de nivel del depósito.",
    "La lubricación automática de los rodamientos se controla con un programador de grasa.",
    "La termografía confirmó que el aislamiento del horno está dañado en la puerta.",
    "El informe de análisis de vibraciones recomienda equilibrar el rodete del ventilador.",
    "El mantenimiento preventivo se registra en el programa de gestión con su orden de trabajo.",
    "Para el mantenimiento predictivo enviamos muestras de aceite al laboratorio cada trimestre.",
    "El compresor de tornillo necesita un cambio de separador de aceite cada cuatro mil horas.",
    "Revisa que la junta tórica esté bien asentada antes de apretar la brida.",
    "El operador del SCADA puede arrancar y parar las bombas desde el puesto de control.",
    "La integración continua ejecuta las pruebas cada vez que alguien sube código al repositorio.",
    "El despliegue en Kubernetes se hace de forma gradual para no afectar a los usuarios.",
    "La arquitectura de microservicios complica la trazabilidad de los errores entre servicios.",
    "El punto de acceso se alimenta por el mismo cable de red desde el conmutador.",
    "Hay que rehacer el empalme de fibra óptica que se dañó en la arqueta.",
    "La parada programada del servicio se ha comunicado a los clientes con una semana de antelación.",
    "Antes de actualizar el firmware del autómata hay que guardar una copia del programa.",
    "El servidor de monitorización comprueba cada minuto si los servicios responden correctamente.",
    "Los registros del servidor de aplicaciones se guardan durante noventa días y luego se borran.",
    "El técnico de guardia debe responder a las incidencias críticas en menos de quince minutos.",
    "Hemos documentado el procedimiento de recuperación ante desastres en la wiki del departamento.",
    "La sala de servidores tiene climatización redundante y detección temprana de incendios.",
    "El sistema de alimentación ininterrumpida aguanta veinte minutos con toda la carga conectada.",
    "Los sensores de temperatura del armario envían una alerta si se superan los treinta grados.",
    "La bomba dosificadora de cloro necesita calibración después de cambiar la membrana.",
    "Hemos pedido al proveedor las piezas de repuesto para el reductor de la cinta transportadora.",
    "El motor de la extrusora consume más corriente de lo normal desde la última reparación.",
    "El operario informó de una fuga hidráulica en la prensa de la línea cuatro.",
    "Hay que revisar el apriete de todos los bornes del cuadro eléctrico una vez al año.",
    "La nueva versión de la aplicación reduce a la mitad el tiempo de carga de la página principal.",
    "El equipo de seguridad revisa cada mes los permisos de acceso de los usuarios externos.",
    "Las contraseñas de las cuentas de servicio se guardan en un gestor de secretos centralizado.",
    "La consulta lenta se debía a que faltaba un índice en la tabla de pedidos.",
    "Los usuarios del almacén se quejan de cortes frecuentes de la red inalámbrica.",
    "El cableado estructurado de la nueva planta se certificará antes de la inauguración.",
    "La rotura del eje se produjo por fatiga del material después de años de vibraciones.",
    "El histórico de averías muestra que la bomba de vacío falla casi todos los meses.",
    "Hay que revisar el nivel de aceite del reductor y completarlo si hace falta.",
    "El sistema de gestión de incidencias asigna automáticamente cada aviso al grupo responsable.",
    "Las pruebas de carga demostraron que la aplicación soporta el doble de usuarios simultáneos.",
    "El motor de colas acumula mensajes porque uno de los consumidores está bloqueado.",
    "El técnico midió la resistencia de aislamiento del motor antes de volver a ponerlo en marcha.",
    "La válvula de seguridad del depósito de aire se tarará de nuevo en la próxima revisión.",
    "Se ha elaborado una lista de comprobación para el arranque de la línea después de cada avería.",
    "El inventario de equipos de red se actualiza automáticamente con la herramienta de descubrimiento.",
]

TEST = [
    "El cortafuegos bloqueó por error las conexiones de los proveedores que acceden por red privada.",
    "Necesitamos un enrutador con doble conexión a internet para la tienda del centro comercial.",
    "Tras reiniciar el conmutador, varios equipos tardaron minutos en recuperar la conexión.",
    "El proxy inverso devuelve un error de pasarela cuando el servidor interno tarda demasiado.",
    "Configura el balanceador de carga para que mantenga la sesión de cada usuario en el mismo servidor.",
    "Convertiremos el servidor físico antiguo en una máquina virtual antes de retirarlo.",
    "La imagen del contenedor se firma digitalmente antes de publicarla en el registro interno.",
    "Los límites de memoria en Kubernetes evitan que un solo servicio consuma todo el nodo.",
    "Se corrompió un índice de la base de datos y hubo que reconstruirlo durante la noche.",
    "La copia de seguridad de los portátiles se hace al conectarse a la red de la oficina.",
    "La impresora de etiquetas cambió de dirección IP y las estaciones de embalaje dejaron de imprimir.",
    "Las cámaras de vigilancia estarán aisladas en una VLAN sin salida a internet.",
    "Los clientes se quejan de latencia alta desde que cambiamos de proveedor de alojamiento.",
    "Limitamos el ancho de banda de las actualizaciones automáticas durante el horario laboral.",
    "Instala el certificado TLS intermedio, porque sin él algunos navegadores no confían en el sitio.",
    "Un usuario perdió el móvil y no puede completar la autenticación de doble factor.",
    "Sustituiremos el arrancador estático del ventilador por un variador de frecuencia.",
    "El autómata programable entra en modo de parada cuando detecta un error de memoria.",
    "El rodamiento de la polea tensora se agarrotó por falta de lubricación.",
    "La termografía de los transformadores se realiza siempre con la instalación a plena carga.",
    "El análisis de vibraciones del compresor no muestra ninguna anomalía respecto al mes pasado.",
    "Combinamos mantenimiento preventivo y mantenimiento predictivo según la criticidad de cada máquina.",
    "El encargado aprobó la orden de trabajo para sustituir la junta tórica de la válvula de retención.",
    "El SCADA registró una caída de presión justo antes de la parada programada de la estación.",
    "Clona el repositorio y sigue las instrucciones del archivo de documentación para compilar el proyecto.",
    "El despliegue de los microservicios de facturación se retrasó por un fallo en las pruebas.",
    "El punto de acceso de la cafetería se desconecta varias veces al día sin motivo aparente.",
    "El proveedor llevará fibra óptica hasta el edificio de oficinas en las próximas semanas.",
    "El electricista encontró un borne flojo en el cuadro eléctrico del compresor de frío.",
    "Después de instalar el firmware nuevo, el equipo dejó de responder a la consola de gestión.",
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
